package mobilevit.trainer;

import ai.djl.ndarray.NDArray;

import ai.djl.ndarray.NDManager;

import mobilevit.model.Autograd;
import mobilevit.model.MobileViT;

import java.util.Map;

/**
 * Exponential moving average of every model state entry, BatchNorm running statistics included
 * (CVNets v0.1 {@code EMA}): after each optimizer step, ema = ema * (1 - momentum) + momentum * w.
 * The average lives in a second model (on the master device), validated like the raw one.
 */
public final class Ema {

    private final Map<String, NDArray> average;
    private final double momentum;
    private MobileViT model;

    /**
     * @param average the EMA model's state, already a copy of the model's (as CVNets' deepcopy)
     * @param momentum weight of the new value (0.0005 in the paper)
     */
    public Ema(Map<String, NDArray> average, double momentum) {
        this.average = average;
        this.momentum = momentum;
    }

    /**
     * An average held in a second model, built by {@code builder} in {@code manager} and starting
     * as a copy of {@code initial}.
     */
    public static Ema copyOf(Map<String, NDArray> initial, MobileViT.Builder builder, NDManager manager,
            double momentum) {
        MobileViT model = builder.buildInitialized(manager, 0);
        Map<String, NDArray> average = model.state();
        initial.forEach((name, value) -> Autograd.copyInto(average.get(name), value));
        Ema ema = new Ema(average, momentum);
        ema.model = model;
        return ema;
    }

    /** The model that holds the average (null when the average was given as plain arrays). */
    public MobileViT model() {
        return model;
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
