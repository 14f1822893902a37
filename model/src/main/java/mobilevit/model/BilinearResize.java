package mobilevit.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

/**
 * Bilinear resize of NCHW maps equal to PyTorch's {@code F.interpolate(mode="bilinear",
 * align_corners=False)} without antialiasing, as two small interpolation matrices applied by
 * matrix products: y = Rh x Rw^T. Differentiable through autograd. (DJL's engine resize
 * antialiases when shrinking, which the MobileViT block must not do.)
 */
public final class BilinearResize {

    private BilinearResize() {}

    /** Resizes [B, C, H, W] to [B, C, outH, outW]. */
    public static NDArray resize(NDArray x, int outH, int outW) {
        Shape s = x.getShape();
        int inH = (int) s.get(2);
        int inW = (int) s.get(3);
        if (inH == outH && inW == outW) {
            return x;
        }
        NDManager m = x.getManager();
        NDArray rh = m.create(matrix(inH, outH), new Shape(outH, inH))
                .toType(x.getDataType(), false).toDevice(x.getDevice(), false);
        NDArray rwT = m.create(transpose(matrix(inW, outW), outW, inW), new Shape(inW, outW))
                .toType(x.getDataType(), false).toDevice(x.getDevice(), false);
        return rh.matMul(x.matMul(rwT)); // [outH, inH] @ [B, C, inH, outW]
    }

    /**
     * Row-major [out, in] weights: output o samples input coordinate (o + 0.5) * in / out - 0.5,
     * clamped at 0, between its two neighbours (the second clamped to the last index). The ONNX
     * export applies the same matrices.
     */
    public static float[] matrix(int in, int out) {
        float[] r = new float[out * in];
        double scale = (double) in / out;
        for (int o = 0; o < out; o++) {
            double src = Math.max(0.0, (o + 0.5) * scale - 0.5);
            int i0 = (int) src;
            int i1 = Math.min(i0 + 1, in - 1);
            double l1 = src - i0;
            r[o * in + i0] += (float) (1.0 - l1);
            r[o * in + i1] += (float) l1;
        }
        return r;
    }

    private static float[] transpose(float[] a, int rows, int cols) {
        float[] t = new float[a.length];
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < cols; j++) {
                t[j * rows + i] = a[i * cols + j];
            }
        }
        return t;
    }
}
