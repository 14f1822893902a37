package mobilevit.trainer.step;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;

import com.google.gson.JsonObject;

import mobilevit.model.Autograd;
import mobilevit.model.StateDict;
import mobilevit.trainer.checkpoint.Checkpoint;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * AdamW with PyTorch's semantics and operation order ({@code torch.optim.AdamW}, single-tensor
 * path): p *= 1 - lr*wd; m = b1 m + (1-b1) g; v = b2 v + (1-b2) g^2;
 * p -= (lr/bc1) m / (sqrt(v)/sqrt(bc2) + eps). It runs on one flat tensor of every parameter
 * ({@link FlatState}), so a step is the same dozen element-wise native calls whatever the number of
 * tensors, and element by element the arithmetic of the per-tensor loop. Its state (the two
 * moments, flat, and the step count) is saved under PyTorch-like per-parameter names. (DJL's Adam
 * adds eps before the bias correction, and cannot save its state.)
 *
 * <p>Scalars are computed in double, as PyTorch does in Python, and passed as CPU 0-dim tensors,
 * which PyTorch applies on any device without a copy.
 */
public final class AdamW {

    /** The step count's member of state.json. */
    private static final String STEPS = "optimizer_steps";

    private final double beta1;
    private final double beta2;
    private final double eps;
    private final double weightDecay;
    private NDArray expAvg;
    private NDArray expAvgSq;
    private long steps;

    public AdamW(double beta1, double beta2, double eps, double weightDecay) {
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.eps = eps;
        this.weightDecay = weightDecay;
    }

    /** Optimizer steps taken so far (PyTorch's per-parameter {@code step}, equal for all). */
    public long steps() {
        return steps;
    }

    /**
     * Applies one update to {@code params} (flat) from {@code grad} (same shape), creating zero
     * moments on first use, in the parameters' manager and device.
     */
    public void step(NDArray params, NDArray grad, double lr) {
        if (!grad.getShape().equals(params.getShape())) {
            throw new IllegalStateException("gradient " + grad.getShape() + " for parameters " + params.getShape());
        }
        if (expAvg == null) {
            expAvg = zerosLike(params);
            expAvgSq = zerosLike(params);
        }
        steps++;
        double bc1 = 1 - Math.pow(beta1, steps);
        double bc2 = 1 - Math.pow(beta2, steps);
        try (NDManager scalars = NDManager.newBaseManager(Device.cpu())) {
            NDArray decay = scalars.create(1 - lr * weightDecay);
            NDArray b1 = scalars.create(beta1);
            NDArray oneMinusB1 = scalars.create(1 - beta1);
            NDArray b2 = scalars.create(beta2);
            NDArray oneMinusB2 = scalars.create(1 - beta2);
            NDArray bc2Sqrt = scalars.create(Math.sqrt(bc2));
            NDArray epsilon = scalars.create(eps);
            NDArray stepSize = scalars.create(lr / bc1);
            Autograd.withoutGrad(() -> {
                params.muli(decay);
                try (NDArray g1 = grad.mul(oneMinusB1);
                        NDArray g2 = grad.mul(grad).muli(oneMinusB2)) {
                    expAvg.muli(b1).addi(g1);
                    expAvgSq.muli(b2).addi(g2);
                }
                try (NDArray denom = expAvgSq.sqrt().divi(bc2Sqrt).addi(epsilon);
                        NDArray update = expAvg.div(denom).muli(stepSize)) {
                    params.subi(update);
                }
            });
        }
    }

    private static NDArray zerosLike(NDArray w) {
        return w.getManager().zeros(w.getShape(), w.getDataType(), w.getDevice());
    }

    /** The first moment (flat), or null before the first step. */
    public NDArray expAvg() {
        return expAvg;
    }

    /** The second moment (flat), or null before the first step. */
    public NDArray expAvgSq() {
        return expAvgSq;
    }

    /**
     * Hands its state to a checkpoint: the step count into {@code state}, and as the returned
     * tensors CPU copies of the moments as {@code exp_avg.<name>} and {@code exp_avg_sq.<name>} for
     * every parameter of {@code layout} (none before the first step).
     */
    NDList export(FlatState layout, NDManager manager, JsonObject state) {
        state.addProperty(STEPS, steps);
        NDList out = new NDList();
        if (expAvg != null) {
            copyOut(layout, expAvg, "exp_avg.", manager, out);
            copyOut(layout, expAvgSq, "exp_avg_sq.", manager, out);
        }
        return out;
    }

    private static void copyOut(FlatState layout, NDArray flat, String prefix, NDManager manager, NDList out) {
        try (NDManager views = manager.newSubManager()) {
            for (Map.Entry<String, NDArray> e : layout.named(flat, views).entrySet()) {
                NDArray copy = StateDict.cpuCopy(e.getValue());
                copy.attach(manager);
                copy.setName(prefix + e.getKey());
                out.add(copy);
            }
        }
    }

    /**
     * Restores what {@link #export} handed over, onto the device of {@code layout}'s parameters;
     * every parameter must have both moments of its own shape.
     *
     * @throws IllegalArgumentException naming the first missing or mis-shaped entry, or a step
     *     count that is missing
     */
    void restore(NDList tensors, JsonObject state, FlatState layout) {
        long steps = Checkpoint.number(state, STEPS).longValue();
        Map<String, NDArray> byName = new LinkedHashMap<>();
        tensors.forEach(t -> byName.put(t.getName(), t));
        int expected = 2 * layout.parameterSlots().size();
        if (byName.size() != expected) {
            throw new IllegalArgumentException("optimizer state has " + byName.size() + " tensors, expected " + expected);
        }
        NDArray m = zerosLike(layout.parameters());
        NDArray v = zerosLike(layout.parameters());
        try (NDManager views = m.getManager().newSubManager()) {
            restore(byName, "exp_avg.", layout.named(m, views));
            restore(byName, "exp_avg_sq.", layout.named(v, views));
        } catch (IllegalArgumentException e) {
            m.close();
            v.close();
            throw e;
        }
        if (expAvg != null) {
            expAvg.close();
            expAvgSq.close();
        }
        expAvg = m;
        expAvgSq = v;
        this.steps = steps;
    }

    private static void restore(Map<String, NDArray> saved, String prefix, Map<String, NDArray> targets) {
        for (Map.Entry<String, NDArray> e : targets.entrySet()) {
            String key = prefix + e.getKey();
            NDArray t = saved.get(key);
            if (t == null) {
                throw new IllegalArgumentException("optimizer state lacks " + key);
            }
            if (!t.getShape().equals(e.getValue().getShape())) {
                throw new IllegalArgumentException("optimizer state " + key + " has shape " + t.getShape()
                        + ", the parameter " + e.getValue().getShape());
            }
            Autograd.copyInto(e.getValue(), t);
        }
    }
}
