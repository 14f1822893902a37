package mobilevit.trainer;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;

import mobilevit.model.Autograd;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * AdamW with PyTorch's semantics and operation order ({@code torch.optim.AdamW}, single-tensor
 * path): p *= 1 - lr*wd; m = b1 m + (1-b1) g; v = b2 v + (1-b2) g^2;
 * p -= (lr/bc1) m / (sqrt(v)/sqrt(bc2) + eps). Its state (first and second moments, step count) is
 * kept per parameter name so that it can be saved and restored. (DJL's Adam adds eps before the
 * bias correction, and cannot save its state.)
 *
 * <p>Scalars are computed in double, as PyTorch does in Python, and passed as CPU 0-dim tensors,
 * which PyTorch applies on any device without a copy.
 */
public final class AdamW {

    private final double beta1;
    private final double beta2;
    private final double eps;
    private final double weightDecay;
    private final Map<String, NDArray> expAvg = new LinkedHashMap<>();
    private final Map<String, NDArray> expAvgSq = new LinkedHashMap<>();
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
     * Applies one update to every parameter from its gradient, creating zero moments on first use
     * (in the parameter's manager and device).
     */
    public void step(Map<String, NDArray> params, Map<String, NDArray> grads, double lr) {
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
                for (Map.Entry<String, NDArray> e : params.entrySet()) {
                    String name = e.getKey();
                    NDArray w = e.getValue();
                    NDArray g = grads.get(name);
                    if (g == null) {
                        throw new IllegalArgumentException("no gradient for parameter " + name);
                    }
                    NDArray m = expAvg.computeIfAbsent(name, k -> zerosLike(w));
                    NDArray v = expAvgSq.computeIfAbsent(name, k -> zerosLike(w));
                    w.muli(decay);
                    try (NDArray g1 = g.mul(oneMinusB1);
                            NDArray g2 = g.mul(g).muli(oneMinusB2)) {
                        m.muli(b1).addi(g1);
                        v.muli(b2).addi(g2);
                    }
                    try (NDArray denom = v.sqrt().divi(bc2Sqrt).addi(epsilon);
                            NDArray update = m.div(denom).muli(stepSize)) {
                        w.subi(update);
                    }
                }
            });
        }
    }

    private static NDArray zerosLike(NDArray w) {
        NDArray z = w.getManager().zeros(w.getShape(), w.getDataType(), w.getDevice());
        z.setName(w.getName());
        return z;
    }

    /** First moment of a parameter, or null before its first step. */
    public NDArray expAvg(String name) {
        return expAvg.get(name);
    }

    /** Second moment of a parameter, or null before its first step. */
    public NDArray expAvgSq(String name) {
        return expAvgSq.get(name);
    }

    /** CPU copies of the moments as {@code exp_avg.<name>} and {@code exp_avg_sq.<name>}. */
    public NDList stateTensors(NDManager manager) {
        NDList out = new NDList();
        copyOut(expAvg, "exp_avg.", manager, out);
        copyOut(expAvgSq, "exp_avg_sq.", manager, out);
        return out;
    }

    private static void copyOut(Map<String, NDArray> state, String prefix, NDManager manager, NDList out) {
        for (Map.Entry<String, NDArray> e : state.entrySet()) {
            NDArray copy = e.getValue().toDevice(Device.cpu(), true);
            copy.attach(manager);
            copy.setName(prefix + e.getKey());
            out.add(copy);
        }
    }

    /**
     * Restores the moments saved by {@link #stateTensors} and the step count, onto each
     * parameter's device; every parameter must have both moments of its own shape.
     *
     * @throws IllegalArgumentException naming the first missing or mis-shaped entry
     */
    public void load(NDList tensors, long steps, Map<String, NDArray> params) {
        Map<String, NDArray> byName = new LinkedHashMap<>();
        tensors.forEach(t -> byName.put(t.getName(), t));
        if (byName.size() != 2 * params.size()) {
            throw new IllegalArgumentException("optimizer state has " + byName.size()
                    + " tensors, expected " + 2 * params.size());
        }
        Map<String, NDArray> m = new LinkedHashMap<>();
        Map<String, NDArray> v = new LinkedHashMap<>();
        for (Map.Entry<String, NDArray> e : params.entrySet()) {
            m.put(e.getKey(), restore(byName, "exp_avg." + e.getKey(), e.getValue()));
            v.put(e.getKey(), restore(byName, "exp_avg_sq." + e.getKey(), e.getValue()));
        }
        expAvg.values().forEach(NDArray::close);
        expAvgSq.values().forEach(NDArray::close);
        expAvg.clear();
        expAvgSq.clear();
        expAvg.putAll(m);
        expAvgSq.putAll(v);
        this.steps = steps;
    }

    private static NDArray restore(Map<String, NDArray> saved, String key, NDArray param) {
        NDArray t = saved.get(key);
        if (t == null) {
            throw new IllegalArgumentException("optimizer state lacks " + key);
        }
        if (!t.getShape().equals(param.getShape())) {
            throw new IllegalArgumentException("optimizer state " + key + " has shape " + t.getShape()
                    + ", the parameter " + param.getShape());
        }
        NDArray z = zerosLike(param);
        Autograd.copyInto(z, t);
        return z;
    }
}
