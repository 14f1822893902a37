package mobilevit.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;

import java.util.Map;
import java.util.SplittableRandom;

/**
 * CVNets v0.1 initialisation, drawn from a seeded generator: conv weights Kaiming normal
 * (fan_out, gain sqrt 2), linear weights truncated normal (std 0.02, cut at +-2 as
 * torch.nn.init.trunc_normal_'s defaults), linear biases 0, norm weights 1 and biases 0, running
 * mean 0 and variance 1.
 */
public final class CvnetsInit {

    static final double LINEAR_STD = 0.02;

    private CvnetsInit() {}

    /** Initialises every parameter of {@code model} (already shaped by {@code initialize}). */
    public static void apply(MobileViT model, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        for (Map.Entry<String, Parameter> e : model.namedParameters().entrySet()) {
            NDArray array = e.getValue().getArray();
            try (NDArray values = array.getManager().create(
                    values(e.getKey(), array.getShape(), random), array.getShape());
                    NDArray typed = values.toType(array.getDataType(), false)) {
                Autograd.copyInto(array, typed);
            }
        }
    }

    private static float[] values(String name, Shape shape, SplittableRandom random) {
        float[] v = new float[Math.toIntExact(shape.size())];
        if (name.endsWith(".weight") && shape.dimension() == 4) {
            // fan_out = out_channels * kh * kw (PyTorch ignores groups here)
            double std = Math.sqrt(2.0 / (shape.get(0) * shape.get(2) * shape.get(3)));
            for (int i = 0; i < v.length; i++) {
                v[i] = (float) (std * random.nextGaussian());
            }
        } else if (name.endsWith(".weight") && shape.dimension() == 2) {
            for (int i = 0; i < v.length; i++) {
                double x;
                do {
                    x = LINEAR_STD * random.nextGaussian();
                } while (x < -2 || x > 2);
                v[i] = (float) x;
            }
        } else if (name.endsWith(".weight") || name.endsWith(".running_var")) {
            java.util.Arrays.fill(v, 1f);
        }
        return v;
    }
}
