package mobilevit.trainer;

import static mobilevit.model.TensorAssert.assertClose;
import static org.junit.jupiter.api.Assertions.assertEquals;

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

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.LinkedHashMap;
import java.util.Map;

/** AdamW, label smoothing, the schedule and the EMA against CVNets v0.1's own outputs (fixtures/math). */
class TrainingMathTest {

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
        int[] targets = new int[3];
        JsonArray t = f.getAsJsonArray("targets");
        for (int i = 0; i < 3; i++) {
            targets[i] = t.get(i).getAsInt();
        }
        try (NDManager m = NDManager.newBaseManager()) {
            for (JsonElement c : f.getAsJsonArray("cases")) {
                JsonObject cs = c.getAsJsonObject();
                double eps = cs.get("eps").getAsDouble();
                checkCase(m, f.get("logits"), targets, eps, cs, 1e-12);
            }
            checkCase(m, f.getAsJsonObject("float32_eps_0.1").get("logits_float32"), targets, 0.1,
                    f.getAsJsonObject("float32_eps_0.1"), 1e-6);
        }
    }

    private static void checkCase(NDManager m, JsonElement logitsJson, int[] targets, double eps,
            JsonObject expected, double tol) {
        boolean f32 = tol > 1e-9;
        NDArray logits = array(m, logitsJson);
        if (f32) {
            logits = logits.toType(DataType.FLOAT32, false);
        }
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
        assertClose("loss eps " + eps, new double[] {loss.toType(DataType.FLOAT64, false).getDouble()},
                new double[] {expected.get("loss").getAsDouble()}, tol, tol);
        assertClose("grad eps " + eps, logits.getGradient().toType(DataType.FLOAT64, false).toDoubleArray(),
                Json.flat(expected.get("grad_logits")), tol, tol);
    }

    @ParameterizedTest
    @ValueSource(strings = {"paper", "small"})
    void scheduleMatchesCvnetsInBothModes(String set) {
        JsonObject f = Json.fixtureObject("math/cosine_lr.json").getAsJsonObject(set);
        JsonObject p = f.getAsJsonObject("params");
        for (String modeKey : new String[] {"epoch_based", "iteration_based"}) {
            LearningRate.Mode mode = modeKey.startsWith("epoch") ? LearningRate.Mode.EPOCH : LearningRate.Mode.ITERATION;
            LearningRate lr = new LearningRate(p.get("max_lr").getAsDouble(), p.get("min_lr").getAsDouble(),
                    p.get("warmup_init_lr").getAsDouble(), p.get("warmup_iterations").getAsLong(), mode,
                    p.get("max_epochs").getAsInt(), p.get("iteration_mode_max_iterations").getAsLong());
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
