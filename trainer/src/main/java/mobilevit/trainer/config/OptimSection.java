package mobilevit.trainer.config;

import java.util.List;

/** Section {@code optim}: AdamW, weight decay on every parameter. */
public record OptimSection(
        @ConfigKey(byDefault = "0.002", min = Double.MIN_VALUE, doc = "peak learning rate")
        double lr,
        @ConfigKey(byDefault = "0.01", min = 0, doc = "decoupled weight decay")
        double weightDecay,
        @ConfigKey(byDefault = "[0.9, 0.999]", min = 0, below = 1, doc = "AdamW's beta1 and beta2")
        List<Double> betas,
        @ConfigKey(byDefault = "1.0e-8", min = Double.MIN_VALUE, doc = "AdamW's epsilon")
        double eps) {

    public double beta1() {
        return betas.get(0);
    }

    public double beta2() {
        return betas.get(1);
    }
}
