package mobilevit.trainer.step;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;

import mobilevit.model.Autograd;
import mobilevit.model.MobileViT;
import mobilevit.model.StateDict;
import mobilevit.trainer.checkpoint.Checkpoint;

/**
 * Exponential moving average of every model state entry, BatchNorm running statistics included
 * (CVNets v0.1 {@code EMA}): after each optimizer step, ema = ema * (1 - momentum) + momentum * w.
 * The average lives in a second model (on the master device), validated like the raw one, whose
 * state is flat ({@link FlatState}): an update is six element-wise native calls.
 */
public final class Ema {

    private final MobileViT model;
    private final FlatState average;
    private final double momentum;

    private Ema(MobileViT model, FlatState average, double momentum) {
        this.model = model;
        this.average = average;
        this.momentum = momentum;
    }

    /**
     * An average held in a second model, built by {@code builder} in {@code manager} and starting
     * as a copy of {@code initial} (as CVNets' deepcopy of the model before step 1).
     *
     * @param momentum weight of the new value (0.0005 in the paper)
     */
    public static Ema copyOf(FlatState initial, MobileViT.Builder builder, NDManager manager, double momentum) {
        MobileViT model = builder.buildInitialized(manager, 0);
        FlatState average = FlatState.adopt(model, manager, FlatState.Gradients.NOT_RECORDED);
        average.copyFrom(initial);
        return new Ema(model, average, momentum);
    }

    /** The model that holds the average. */
    public MobileViT model() {
        return model;
    }

    /** Hands the average to a checkpoint: CPU copies of its model's state, by name, in {@code manager}. */
    NDList export(NDManager manager) {
        return StateDict.export(model, manager);
    }

    /** Restores the average a checkpoint holds. */
    void restore(Checkpoint.Contents checkpoint) {
        checkpoint.loadWeights(model, Checkpoint.Weights.EMA);
    }

    /** Makes the average a copy of {@code state} (the same model's layout). */
    public void restartFrom(FlatState state) {
        average.copyFrom(state);
    }

    /** Blends {@code state} (the same model's layout, any device) into the average. */
    public void update(FlatState state) {
        blend(average.parameters(), state.parameters(), momentum);
        blend(average.buffers(), state.buffers(), momentum);
    }

    /** average = average * (1 - momentum) + momentum * value, in place, in CVNets' order. */
    static void blend(NDArray average, NDArray value, double momentum) {
        Autograd.withoutGrad(() -> {
            NDArray local = value.getDevice().equals(average.getDevice())
                    ? value : value.toDevice(average.getDevice(), false);
            try (NDArray scaled = local.mul(momentum)) {
                average.muli(1 - momentum).addi(scaled);
            } finally {
                if (local != value) {
                    local.close();
                }
            }
        });
    }
}
