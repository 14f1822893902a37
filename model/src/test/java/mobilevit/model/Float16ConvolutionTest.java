package mobilevit.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.training.GradientCollector;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * A float16 convolution on float32 kernels (what {@code ConvLayer} runs on a CPU) against
 * libtorch's float16 convolution on the CPU (the call {@code ConvLayer} makes on a GPU, where cuDNN
 * answers it; on the CPU its backward is 12-220 times slower): the output and both gradients agree
 * to one float16 rounding, the most two
 * float32 accumulations in different orders can differ by once each is rounded to float16. (On the
 * machine this was written on, every value was bitwise equal: CPU libtorch accumulates its float16
 * convolutions in float32 too.)
 */
class Float16ConvolutionTest {

    @ParameterizedTest(name = "{0}")
    @CsvSource({
        "3x3 stride 2,  16, 24, 3, 2, 1",
        "depthwise 3x3, 32, 32, 3, 1, 32",
        "pointwise,     48, 40, 1, 1, 1",
    })
    void agreesWithTheFloat16KernelsToOneRounding(String name, int in, int out, int kernel, int stride, int groups) {
        try (NDManager m = NDManager.newBaseManager()) {
            m.getEngine().setRandomSeed(7);
            NDArray x = m.randomNormal(new Shape(2, in, 12, 12)).toType(DataType.FLOAT16, false);
            NDArray w = m.randomNormal(0, (float) Math.sqrt(2.0 / (in / groups * kernel * kernel)),
                    new Shape(out, in / groups, kernel, kernel), DataType.FLOAT32).toType(DataType.FLOAT16, false);
            Shape strides = new Shape(stride, stride);
            Shape padding = new Shape((kernel - 1) / 2, (kernel - 1) / 2);
            NDArray[] emulated = outputAndGradients(x, w, () -> ConvLayer.convolveOnFloat32Kernels(
                    leaf(x), leaf(w), strides, padding, groups));
            NDArray[] native16 = outputAndGradients(x, w, () -> Conv2d.conv2d(leaf(x), leaf(w), null, strides, padding,
                    new Shape(1, 1), groups).singletonOrThrow());
            String[] what = {"output", "input gradient", "weight gradient"};
            for (int i = 0; i < 3; i++) {
                assertEquals(DataType.FLOAT16, emulated[i].getDataType(), what[i]);
                assertWithinOneRounding(native16[i], emulated[i], name + ", " + what[i]);
            }
        }
    }

    private NDArray xLeaf;
    private NDArray wLeaf;

    private NDArray leaf(NDArray a) {
        NDArray copy = a.duplicate();
        copy.setRequiresGradient(true);
        if (xLeaf == null) {
            xLeaf = copy;
        } else {
            wLeaf = copy;
        }
        return copy;
    }

    /** The convolution's output and the gradients of the sum of its output by the input and the weight. */
    private NDArray[] outputAndGradients(NDArray x, NDArray w, java.util.function.Supplier<NDArray> convolution) {
        xLeaf = null;
        wLeaf = null;
        try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
            NDArray y = convolution.get();
            gc.backward(y.sum());
            return new NDArray[] {y, xLeaf.getGradient(), wLeaf.getGradient()};
        }
    }

    /** |a - b| at most one float16 unit in the last place of the larger (2^-24 below float16's normal range). */
    private static void assertWithinOneRounding(NDArray expected, NDArray actual, String what) {
        double[] e = toDoubles(expected);
        double[] a = toDoubles(actual);
        assertEquals(e.length, a.length, what);
        for (int i = 0; i < e.length; i++) {
            double big = Math.max(Math.abs(e[i]), Math.abs(a[i]));
            double ulp = big < 0x1p-14 ? 0x1p-24 : Math.scalb(1.0, Math.getExponent(big) - 10);
            assertTrue(Math.abs(e[i] - a[i]) <= ulp, what + " [" + i + "]: float16 kernels " + e[i] + ", float32 kernels "
                    + a[i] + " (one rounding is " + ulp + ")");
        }
    }

    private static double[] toDoubles(NDArray a) {
        float[] f = a.toType(DataType.FLOAT32, false).toFloatArray();
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) {
            d[i] = f[i];
        }
        return d;
    }
}
