package mobilevit.export;

/**
 * An eval-mode BatchNorm folded into the bias-free convolution before it: with
 * s = gamma / sqrt(running_var + eps), the weight of output channel o becomes W[o] * s[o] and the
 * bias beta[o] - running_mean[o] * s[o]. Computed in float64 from the float32 parameters and
 * rounded once to float32, so each folded value is within half a float32 ulp of the exact one.
 */
final class BatchNormFolding {

    /** PyTorch's default, CVNets' BatchNorm2d. */
    static final double EPS = 1e-5;

    /** A folded convolution's weight (the convolution's shape) and bias (one per output channel). */
    record Folded(float[] weight, float[] bias) {}

    private BatchNormFolding() {}

    /**
     * @param weight the convolution's weight, [out, in / groups, k, k] row-major
     * @param gamma BatchNorm weight, per output channel
     * @param beta BatchNorm bias
     * @param mean running mean
     * @param var running variance
     */
    static Folded fold(double[] weight, double[] gamma, double[] beta, double[] mean, double[] var) {
        int out = gamma.length;
        int perChannel = weight.length / out;
        float[] w = new float[weight.length];
        float[] b = new float[out];
        for (int o = 0; o < out; o++) {
            double s = gamma[o] / Math.sqrt(var[o] + EPS);
            for (int i = o * perChannel; i < (o + 1) * perChannel; i++) {
                w[i] = (float) (weight[i] * s);
            }
            b[o] = (float) (beta[o] - mean[o] * s);
        }
        return new Folded(w, b);
    }
}
