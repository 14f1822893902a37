package mobilevit.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The float16 convolution {@code ConvLayer} runs on a CPU (float16 operands cast up exactly, float32
 * kernels, the result rounded to float16: what cuDNN computes for PyTorch's float16 convolutions on a
 * GPU) against the same convolution in float64 from the same float16 operands, for the output and
 * both gradients of the output's sum.
 *
 * <p>The bound, per element: each term is a product of two float16 numbers, exact in float32 (11 +
 * 11 significant bits fit in 24, and no product of float16 numbers underflows float32), or a sum of
 * such numbers; a float32 sum of K terms in any order, blocked or not, with or without FMA, is within
 * gamma(K-1) * sum|t| of the exact sum, gamma(n) = n u / (1 - n u), u = 2^-24 (Higham, Accuracy and
 * Stability of Numerical Algorithms, 2nd ed., eq. 4.4); rounding that to float16 adds at most half a
 * float16 unit in the last place of the rounded value (2^-25 below float16's normal range). Neither
 * depends on the CPU, so this holds on any x86-64 machine, whatever kernels libtorch picks for float32.
 *
 * <p>libtorch's own float16 convolution on the CPU is not checked: {@code ConvLayer} never runs it
 * there ({@code Precision.emulatesFloat16}), and its accumulation differs by CPU (bitwise equal to this
 * path on one Intel machine, 5 float16 roundings off on an AMD EPYC with AVX-512 but no AVX512-FP16).
 */
class Float16ConvolutionTest {

    private static final double U = 0x1p-24;

    @ParameterizedTest(name = "{0}")
    @CsvSource({
        "3x3 stride 2,  16, 24, 3, 2, 1",
        "depthwise 3x3, 32, 32, 3, 1, 32",
        "pointwise,     48, 40, 1, 1, 1",
    })
    void isWithinOneFloat16RoundingOfFloat32AccumulationOfTheFloat64Result(String name, int in, int out, int kernel,
            int stride, int groups) {
        try (NDManager m = NDManager.newBaseManager()) {
            m.getEngine().setRandomSeed(7);
            NDArray x16 = m.randomNormal(new Shape(2, in, 12, 12)).toType(DataType.FLOAT16, false);
            NDArray w16 = m.randomNormal(0, (float) Math.sqrt(2.0 / (in / groups * kernel * kernel)),
                    new Shape(out, in / groups, kernel, kernel), DataType.FLOAT32).toType(DataType.FLOAT16, false);
            int padding = (kernel - 1) / 2;

            NDArray x = x16.duplicate();
            NDArray w = w16.duplicate();
            x.setRequiresGradient(true);
            w.setRequiresGradient(true);
            NDArray y;
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                y = ConvLayer.convolveOnFloat32Kernels(x, w, new Shape(stride, stride), new Shape(padding, padding),
                        groups);
                gc.backward(y.sum());
            }
            Reference r = new Reference(x16.getShape(), toDoubles(x16), w16.getShape(), toDoubles(w16), stride, padding,
                    groups);
            NDArray[] ours = {y, x.getGradient(), w.getGradient()};
            Sums[] exact = {r.output(), r.inputGradient(), r.weightGradient()};
            String[] what = {"output", "input gradient", "weight gradient"};
            for (int i = 0; i < 3; i++) {
                assertEquals(DataType.FLOAT16, ours[i].getDataType(), what[i]);
                assertWithinBound(exact[i], toDoubles(ours[i]), name + ", " + what[i]);
            }
        }
    }

    /**
     * |ours - reference| <= gamma(K-1) * sum|t| + half a float16 ulp of ours, element by element, plus the
     * reference's own float64 rounding, gamma_64(K-1) * sum|t| with u = 2^-53 (2^-29 of the float32 term).
     */
    private static void assertWithinBound(Sums exact, double[] ours, String what) {
        assertEquals(exact.value.length, ours.length, what);
        for (int i = 0; i < ours.length; i++) {
            double n = exact.terms[i] - 1;
            double float32Sum = (n * U / (1 - n * U) + n * 0x1p-53 / (1 - n * 0x1p-53)) * exact.magnitude[i];
            double big = Math.abs(ours[i]);
            double halfUlp = big < 0x1p-14 ? 0x1p-25 : Math.scalb(1.0, Math.getExponent(big) - 11);
            double error = Math.abs(ours[i] - exact.value[i]);
            assertTrue(error <= float32Sum + halfUlp, what + " [" + i + "]: float16 result " + ours[i] + ", float64 "
                    + exact.value[i] + ", error " + error + " > bound " + (float32Sum + halfUlp) + " (float32 sum of "
                    + exact.terms[i] + " terms " + float32Sum + ", half a float16 ulp " + halfUlp + ")");
        }
    }

    /** Per element: the sum in float64, sum |t| and the term count K. */
    private record Sums(double[] value, double[] magnitude, int[] terms) {
        Sums(int size) {
            this(new double[size], new double[size], new int[size]);
        }

        void add(int i, double t) {
            value[i] += t;
            magnitude[i] += Math.abs(t);
            terms[i]++;
        }
    }

    /** The grouped, strided, zero-padded 2-d convolution and its gradients by direct summation in float64. */
    private record Reference(Shape xs, double[] x, Shape ws, double[] w, int stride, int padding, int groups) {

        int batch() { return (int) xs.get(0); }
        int in() { return (int) xs.get(1); }
        int height() { return (int) xs.get(2); }
        int width() { return (int) xs.get(3); }
        int out() { return (int) ws.get(0); }
        int kernel() { return (int) ws.get(2); }
        int outHeight() { return (height() + 2 * padding - kernel()) / stride + 1; }
        int outWidth() { return (width() + 2 * padding - kernel()) / stride + 1; }

        /** Visits every (output element, input element, weight element) triple the convolution multiplies. */
        void forEachProduct(ProductVisitor v) {
            int inPerGroup = in() / groups;
            int outPerGroup = out() / groups;
            int k = kernel();
            for (int n = 0; n < batch(); n++) {
                for (int o = 0; o < out(); o++) {
                    for (int i = 0; i < outHeight(); i++) {
                        for (int j = 0; j < outWidth(); j++) {
                            int yi = ((n * out() + o) * outHeight() + i) * outWidth() + j;
                            for (int cg = 0; cg < inPerGroup; cg++) {
                                int c = o / outPerGroup * inPerGroup + cg;
                                for (int kh = 0; kh < k; kh++) {
                                    for (int kw = 0; kw < k; kw++) {
                                        int h = i * stride - padding + kh;
                                        int col = j * stride - padding + kw;
                                        if (h >= 0 && h < height() && col >= 0 && col < width()) {
                                            v.visit(yi, ((n * in() + c) * height() + h) * width() + col,
                                                    ((o * inPerGroup + cg) * k + kh) * k + kw);
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }

        Sums output() {
            Sums s = new Sums(batch() * out() * outHeight() * outWidth());
            forEachProduct((yi, xi, wi) -> s.add(yi, x[xi] * w[wi]));
            return s;
        }

        /** d sum(y) / dx: every weight that multiplies the input element. */
        Sums inputGradient() {
            Sums s = new Sums(x.length);
            forEachProduct((yi, xi, wi) -> s.add(xi, w[wi]));
            return s;
        }

        /** d sum(y) / dw: every input element the weight multiplies. */
        Sums weightGradient() {
            Sums s = new Sums(w.length);
            forEachProduct((yi, xi, wi) -> s.add(wi, x[xi]));
            return s;
        }
    }

    private interface ProductVisitor {
        void visit(int outputIndex, int inputIndex, int weightIndex);
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
