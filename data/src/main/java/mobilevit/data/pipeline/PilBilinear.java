package mobilevit.data.pipeline;

/**
 * Pillow's antialiased bilinear resize ({@code Image.resize(size, BILINEAR, box)}) of 8-bit
 * 3-channel images, reimplemented from its algorithm: separable, horizontal pass first into an 8-bit
 * intermediate, then vertical; the triangle filter is widened by the downscaling factor (that is
 * the antialiasing), weights are normalised per output pixel and applied in 22-bit fixed point with
 * rounding and clipping after each pass.
 */
final class PilBilinear {

    private static final int PRECISION_BITS = 32 - 8 - 2;
    private static final int HALF = 1 << (PRECISION_BITS - 1);

    /** Per output pixel: first input index, number of taps, and fixed-point weights (ksize each). */
    private record Coefficients(int[] first, int[] taps, int[] weights, int ksize) {}

    private PilBilinear() {}

    /**
     * Resizes the box [x0, x1) x [y0, y1) (fractional input coordinates) of an h x w HWC image to
     * outH x outW.
     */
    static byte[] resize(byte[] src, int h, int w, double x0, double y0, double x1, double y1, int outH, int outW) {
        boolean horizontal = outW != w || x0 != 0 || x1 != outW;
        boolean vertical = outH != h || y0 != 0 || y1 != outH;
        Coefficients cv = coefficients(h, y0, y1, outH);
        byte[] image = src;
        int rowOffset = 0;
        int width = w;
        if (horizontal) {
            // Only the rows the vertical pass reads are resized horizontally.
            int firstRow = cv.first[0];
            int lastRow = cv.first[outH - 1] + cv.taps[outH - 1];
            image = horizontalPass(src, w, firstRow, lastRow - firstRow, coefficients(w, x0, x1, outW), outW);
            rowOffset = firstRow;
            width = outW;
        }
        if (vertical) {
            image = verticalPass(image, width, rowOffset, cv, outH);
        } else if (!horizontal) {
            image = src.clone();
        }
        return image;
    }

    private static Coefficients coefficients(int inSize, double in0, double in1, int outSize) {
        double scale = (in1 - in0) / outSize;
        double filterScale = Math.max(scale, 1.0);
        double support = filterScale; // the triangle's support is 1, widened when downscaling
        int ksize = (int) Math.ceil(support) * 2 + 1;
        int[] first = new int[outSize];
        int[] taps = new int[outSize];
        int[] weights = new int[outSize * ksize];
        double[] k = new double[ksize];
        for (int xx = 0; xx < outSize; xx++) {
            double centre = in0 + (xx + 0.5) * scale;
            int xmin = Math.max((int) (centre - support + 0.5), 0);
            int xmax = Math.min((int) (centre + support + 0.5), inSize) - xmin;
            double sum = 0;
            for (int x = 0; x < xmax; x++) {
                k[x] = triangle((x + xmin - centre + 0.5) / filterScale);
                sum += k[x];
            }
            for (int x = 0; x < xmax; x++) {
                double v = sum != 0 ? k[x] / sum : k[x];
                weights[xx * ksize + x] = (int) (v < 0 ? -0.5 + v * (1 << PRECISION_BITS) : 0.5 + v * (1 << PRECISION_BITS));
            }
            first[xx] = xmin;
            taps[xx] = xmax;
        }
        return new Coefficients(first, taps, weights, ksize);
    }

    private static double triangle(double x) {
        x = Math.abs(x);
        return x < 1.0 ? 1.0 - x : 0.0;
    }

    private static byte[] horizontalPass(byte[] src, int w, int firstRow, int rows, Coefficients c, int outW) {
        byte[] out = new byte[rows * outW * 3];
        for (int y = 0; y < rows; y++) {
            int in = (y + firstRow) * w * 3;
            int o = y * outW * 3;
            for (int xx = 0; xx < outW; xx++) {
                int s0 = HALF;
                int s1 = HALF;
                int s2 = HALF;
                int base = in + c.first[xx] * 3;
                int kb = xx * c.ksize;
                for (int x = 0; x < c.taps[xx]; x++) {
                    int weight = c.weights[kb + x];
                    int p = base + x * 3;
                    s0 += (src[p] & 0xFF) * weight;
                    s1 += (src[p + 1] & 0xFF) * weight;
                    s2 += (src[p + 2] & 0xFF) * weight;
                }
                out[o++] = clip8(s0);
                out[o++] = clip8(s1);
                out[o++] = clip8(s2);
            }
        }
        return out;
    }

    private static byte[] verticalPass(byte[] src, int w, int rowOffset, Coefficients c, int outH) {
        byte[] out = new byte[outH * w * 3];
        int stride = w * 3;
        for (int yy = 0; yy < outH; yy++) {
            int base = (c.first[yy] - rowOffset) * stride;
            int kb = yy * c.ksize;
            int o = yy * stride;
            for (int xc = 0; xc < stride; xc++) {
                int s = HALF;
                for (int y = 0; y < c.taps[yy]; y++) {
                    s += (src[base + y * stride + xc] & 0xFF) * c.weights[kb + y];
                }
                out[o + xc] = clip8(s);
            }
        }
        return out;
    }

    private static byte clip8(int v) {
        int x = v >> PRECISION_BITS;
        return (byte) (x < 0 ? 0 : Math.min(x, 255));
    }
}
