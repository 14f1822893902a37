package mobilevit.trainer.step;

import static mobilevit.model.TensorAssert.assertClose;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;

import mobilevit.model.Autograd;
import mobilevit.trainer.config.ScheduleSection;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.LinkedHashMap;
import java.util.Map;

/** AdamW, label smoothing, the schedule and the EMA against CVNets v0.1's own outputs (fixtures/math). */
class TrainingMathTest {

    private static final double U = 0x1p-24;

    @ParameterizedTest
    @ValueSource(strings = {"constant_lr", "varying_lr"})
    void adamwMatchesTorch(String run) {
        JsonObject f = Json.fixtureObject("math/adamw.json");
        JsonArray initial = f.getAsJsonArray("initial_params");
        JsonArray grads = f.getAsJsonArray("grads");
        JsonObject r = f.getAsJsonObject(run);
        try (NDManager m = NDManager.newBaseManager()) {
            // the optimizer runs on the parameters end to end, as the trainer's flat buffer holds them
            NDList params = new NDList();
            for (int i = 0; i < initial.size(); i++) {
                params.add(array(m, initial.get(i)));
            }
            NDArray flat = flat(params);
            AdamW adamw = new AdamW(0.9, 0.999, 1e-8, 0.01);
            JsonArray steps = r.getAsJsonArray("steps");
            for (int s = 0; s < steps.size(); s++) {
                JsonObject step = steps.get(s).getAsJsonObject();
                NDList g = new NDList();
                for (JsonElement e : grads.get(s).getAsJsonArray()) {
                    g.add(array(m, e));
                }
                adamw.step(flat, flat(g), step.get("lr").getAsDouble());
                JsonArray expected = step.getAsJsonArray("params");
                long offset = 0;
                for (int i = 0; i < expected.size(); i++) {
                    JsonObject e = expected.get(i).getAsJsonObject();
                    String what = run + " step " + (s + 1) + " p" + i;
                    NDIndex slot = new NDIndex("{}:{}", offset, offset + params.get(i).size());
                    offset += params.get(i).size();
                    assertClose(what + " param", flat.get(slot).toDoubleArray(), Json.flat(e.get("param")), 1e-15, 1e-12);
                    assertClose(what + " exp_avg", adamw.expAvg().get(slot).toDoubleArray(), Json.flat(e.get("exp_avg")), 1e-15, 1e-12);
                    assertClose(what + " exp_avg_sq", adamw.expAvgSq().get(slot).toDoubleArray(), Json.flat(e.get("exp_avg_sq")), 1e-15, 1e-12);
                }
            }
            assertEquals(steps.size(), adamw.steps());
        }
    }

    private static NDArray flat(NDList tensors) {
        NDList flattened = new NDList();
        tensors.forEach(t -> flattened.add(t.flatten()));
        return NDArrays.concat(flattened, 0);
    }

    private static NDArray array(NDManager m, JsonElement e) {
        return m.create(Json.flat(e), new Shape(Json.shape(e)));
    }

    @Test
    void labelSmoothingLossAndGradientMatchCvnets() {
        JsonObject f = Json.fixtureObject("math/label_smoothing.json");
        int[] targets = targets(f);
        try (NDManager m = NDManager.newBaseManager()) {
            for (JsonElement c : f.getAsJsonArray("cases")) {
                JsonObject cs = c.getAsJsonObject();
                Smoothed s = smoothed(array(m, f.get("logits")), targets, cs.get("eps").getAsDouble());
                assertClose("loss eps " + cs.get("eps"), new double[] {s.loss}, new double[] {cs.get("loss").getAsDouble()},
                        1e-12, 1e-12);
                assertClose("grad eps " + cs.get("eps"), s.gradient, Json.flat(cs.get("grad_logits")), 1e-12, 1e-12);
            }
        }
    }

    /**
     * In float32 (the fixture's logits rounded to float32) against float64 from the same logits, as
     * libtorch computes it on any CPU: log p_k = (x_k - max) - log sum_j exp(x_j - max), exp and log
     * within 1 ulp (2u, u = 2^-24), sums in any order, with or without FMA. To first order, with C
     * classes, N samples, a row's logits spanning A = max - min and L = log sum_j exp(x_j - max):
     * x_k - max is within u|x_k - max|, each exp within u A + 2u, their sum within u (A + C + 1),
     * L within that + 2u L, so log p_k within E = u (3A + 3L + C + 1). The targets (1-eps) one_hot +
     * eps/C are within 2u t_k, so a sample's loss r = -sum_k t_k log p_k (sum_k t_k = 1) is within
     * E + (C + 2) u r, and the mean within mean(E) + (C + N + 3) u loss (the division: 2u). The
     * gradient g_k = (p_k - t_k) / N: -t_k / N is within 4u t_k / N, their sum within (C + 3) u / N,
     * exp(log p_k) within E + 2u, so g_k within (4u t_k + p_k (E + (C + 6) u)) / N + u |g_k|. The
     * factor 1 + 2^-16 covers the second-order terms and the float64 reference's own rounding. (The
     * fixture's float32 loss and gradient are PyTorch's kernels on another CPU: not a reference.)
     */
    @Test
    void labelSmoothingInFloat32IsWithinItsRoundingOfFloat64() {
        JsonObject f = Json.fixtureObject("math/label_smoothing.json");
        int[] targets = targets(f);
        double eps = 0.1;
        double[] x = Json.flat(f.getAsJsonObject("float32_eps_0.1").get("logits_float32"));
        int n = targets.length;
        int classes = x.length / n;
        Smoothed ours;
        try (NDManager m = NDManager.newBaseManager()) {
            ours = smoothed(m.create(x, new Shape(n, classes)).toType(DataType.FLOAT32, false), targets, eps);
        }
        double loss = 0;
        double meanE = 0;
        double[] gradient = new double[x.length];
        double[] gradientBound = new double[x.length];
        for (int i = 0; i < n; i++) {
            double max = Double.NEGATIVE_INFINITY;
            double min = Double.POSITIVE_INFINITY;
            double sum = 0;
            for (int k = 0; k < classes; k++) {
                max = Math.max(max, x[i * classes + k]);
                min = Math.min(min, x[i * classes + k]);
            }
            for (int k = 0; k < classes; k++) {
                sum += Math.exp(x[i * classes + k] - max);
            }
            double logSum = Math.log(sum);
            double e = logProbabilityError(max - min, logSum, classes);
            meanE += e / n;
            for (int k = 0; k < classes; k++) {
                int j = i * classes + k;
                double logP = x[j] - max - logSum;
                double t = (k == targets[i] ? 1 - eps : 0) + eps / classes;
                loss -= t * logP / n;
                gradient[j] = (Math.exp(logP) - t) / n;
                gradientBound[j] = ((4 * U * t + Math.exp(logP) * (e + (classes + 6) * U)) / n
                        + U * Math.abs(gradient[j])) * (1 + 0x1p-16);
            }
        }
        double lossBound = lossError(meanE, classes, n, loss);
        assertTrue(Math.abs(ours.loss - loss) <= lossBound, "loss " + ours.loss + ", float64 " + loss + ", bound " + lossBound);
        for (int j = 0; j < x.length; j++) {
            double error = Math.abs(ours.gradient[j] - gradient[j]);
            assertTrue(error <= gradientBound[j], "gradient [" + j + "]: " + ours.gradient[j] + ", float64 " + gradient[j]
                    + ", error " + error + " > bound " + gradientBound[j]);
        }
    }

    /** E: float32's log p_k against the exact, for a row spanning A with log sum exp(x - max) = L. */
    static double logProbabilityError(double span, double logSum, int classes) {
        return U * (3 * span + 3 * logSum + classes + 1);
    }

    /** Float32's mean loss against the exact: mean(E) + (C + N + 3) u loss, times 1 + 2^-16. */
    static double lossError(double meanE, int classes, int samples, double loss) {
        return (meanE + (classes + samples + 3) * U * loss) * (1 + 0x1p-16);
    }

    private static int[] targets(JsonObject f) {
        return f.getAsJsonArray("targets").asList().stream().mapToInt(JsonElement::getAsInt).toArray();
    }

    /** The loss (mean over the batch) and its gradient with respect to the logits. */
    private record Smoothed(double loss, double[] gradient) {}

    private static Smoothed smoothed(NDArray logits, int[] targets, double eps) {
        NDManager m = logits.getManager();
        logits.setRequiresGradient(true);
        NDArray labels = m.create(targets).toType(DataType.INT64, false);
        Autograd.setEnabled(true);
        NDArray loss;
        try {
            loss = LabelSmoothing.loss(logits, labels, eps);
            Autograd.backward(loss, 1);
        } finally {
            Autograd.setEnabled(false);
        }
        return new Smoothed(loss.toType(DataType.FLOAT64, false).getDouble(),
                logits.getGradient().toType(DataType.FLOAT64, false).toDoubleArray());
    }

    @ParameterizedTest
    @ValueSource(strings = {"paper", "small"})
    void scheduleMatchesCvnetsInBothModes(String set) {
        JsonObject f = Json.fixtureObject("math/cosine_lr.json").getAsJsonObject(set);
        JsonObject p = f.getAsJsonObject("params");
        for (String modeKey : new String[] {"epoch_based", "iteration_based"}) {
            ScheduleSection.Mode mode =
                    modeKey.startsWith("epoch") ? ScheduleSection.Mode.EPOCH : ScheduleSection.Mode.ITERATION;
            ScheduleSection schedule = new ScheduleSection(p.get("warmup_iterations").getAsInt(),
                    p.get("warmup_init_lr").getAsDouble(), p.get("min_lr").getAsDouble(), mode);
            // iterations 0..max_iterations: one step more than the last index
            LearningRate lr = LearningRate.of(p.get("max_lr").getAsDouble(), schedule, p.get("max_epochs").getAsInt(),
                    p.get("iteration_mode_max_iterations").getAsLong() + 1);
            JsonArray points = f.getAsJsonArray(modeKey);
            for (JsonElement e : points) {
                JsonObject pt = e.getAsJsonObject();
                long it = pt.get("iteration").getAsLong();
                int epoch = pt.get("epoch").getAsInt();
                String what = set + " " + modeKey + " iteration " + it;
                assertEquals(pt.get("lr").getAsDouble(), lr.raw(it, epoch), 1e-18, what);
                assertEquals(pt.get("lr_applied").getAsDouble(), lr.at(it, epoch), 0.0, what);
            }
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 1})
    void emaMatchesCvnetsIncludingBatchNormBuffers(int runIndex) {
        JsonObject run = Json.fixtureObject("math/ema.json").getAsJsonArray("runs").get(runIndex).getAsJsonObject();
        double momentum = run.get("momentum").getAsDouble();
        try (NDManager m = NDManager.newBaseManager()) {
            Map<String, NDArray> average = new LinkedHashMap<>();
            for (Map.Entry<String, JsonElement> e : run.getAsJsonObject("initial_state").entrySet()) {
                if (!e.getKey().endsWith("num_batches_tracked")) {
                    average.put(e.getKey(), array(m, e.getValue()));
                }
            }
            for (JsonElement s : run.getAsJsonArray("steps")) {
                JsonObject step = s.getAsJsonObject();
                Map<String, NDArray> model = new LinkedHashMap<>();
                step.getAsJsonObject("model_state").entrySet().stream()
                        .filter(e -> !e.getKey().endsWith("num_batches_tracked"))
                        .forEach(e -> model.put(e.getKey(), array(m, e.getValue())));
                average.forEach((name, avg) -> Ema.blend(avg, model.get(name), momentum));
                for (Map.Entry<String, JsonElement> e : step.getAsJsonObject("ema_state").entrySet()) {
                    if (!e.getKey().endsWith("num_batches_tracked")) {
                        assertClose("ema " + momentum + " " + e.getKey(), average.get(e.getKey()).toDoubleArray(),
                                Json.flat(e.getValue()), 1e-15, 1e-13);
                    }
                }
            }
        }
    }
}
