package mobilevit.trainer;

import ai.djl.ndarray.NDArray;

import mobilevit.model.Autograd;

import java.util.Map;

/**
 * Exponential moving average of every model state entry, BatchNorm running statistics included
 * (CVNets v0.1 {@code EMA}): after each optimizer step, ema = ema * (1 - momentum) + momentum * w.
 * The average lives in a second model (on the master device), validated like the raw one.
 */
public final class Ema {

    private final Map<String, NDArray> average;
    private final double momentum;

    /**
     * @param average the EMA model's state, already a copy of the model's (as CVNets' deepcopy)
     * @param momentum weight of the new value (0.0005 in the paper)
     */
    public Ema(Map<String, NDArray> average, double momentum) {
        this.average = average;
        this.momentum = momentum;
    }

    /** Blends {@code state} (same names) into the average. */
    public void update(Map<String, NDArray> state) {
        Autograd.withoutGrad(() -> {
            for (Map.Entry<String, NDArray> e : average.entrySet()) {
                NDArray avg = e.getValue();
                NDArray w = state.get(e.getKey());
                NDArray local = w.getDevice().equals(avg.getDevice()) ? w : w.toDevice(avg.getDevice(), true);
                try (NDArray scaled = local.mul(momentum)) {
                    avg.muli(1 - momentum).addi(scaled);
                } finally {
                    if (local != w) {
                        local.close();
                    }
                }
            }
        });
    }
}
