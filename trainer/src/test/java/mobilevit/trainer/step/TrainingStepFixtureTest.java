package mobilevit.trainer.step;

import static mobilevit.model.TensorAssert.assertClose;
import static mobilevit.model.TensorAssert.npy;
import static mobilevit.model.TensorAssert.read;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;

import mobilevit.model.MemoryFormat;
import mobilevit.model.MobileViT;
import mobilevit.model.StateDict;
import mobilevit.model.Variant;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Three AdamW steps of MobileViT-XXS from the fixture weights against CVNets v0.1 + PyTorch's
 * AdamW (fixtures/training/xx_small_train.json and files).
 *
 * <p>Weights after Adam steps are compared in float64 only: Adam's g / (sqrt(v) + eps) turns
 * float32 gradient noise into steps of up to lr, so float32 weights after three steps differ by
 * CPU (2.3e-3 on a BatchNorm running mean on an AVX2 machine, against 1.4e-3 between PyTorch's own
 * float32 and float64 runs; fixtures README). In float64 that noise is gone and every tensor is
 * compared at 1e-6 + 1e-6|b|. The float32 run checks what float32 shows on any machine: the loss
 * before the first step, gradient norms, BatchNorm statistics and the EMA (not the losses after
 * steps: they come from those CPU-dependent weights, and are checked in float64). Both run with the
 * feature maps stored either way ({@link MemoryFormat}), against the same references and tolerances.
 */
class TrainingStepFixtureTest {

    private static final JsonObject REF = Json.fixtureObject("training/xx_small_train.json");

    @ParameterizedTest
    @EnumSource(MemoryFormat.class)
    @Tag("slow")
    void threeStepsInFloat64MatchTheFloat64Reference(MemoryFormat format) {
        try (NDManager m = NDManager.newBaseManager()) {
            ThreeSteps run = ThreeSteps.run(DataType.FLOAT64, format, m);
            double[] losses = Json.flat(REF.get("losses_before_each_step_fp64"));
            for (int step = 0; step < 4; step++) {
                assertEquals(losses[step], run.losses[step], 1e-9 * losses[step], "loss before step " + (step + 1));
            }
            // the zero-gradient parameters' norms are rounding noise (~1e-17) in both runs
            checkGradientNorms(REF.getAsJsonObject("grad_norms_step1_cvnets_fp64"), run.gradientNorms, 1e-12, 1e-9);
            checkStemStatistics(REF.getAsJsonObject("stem_bn_after_step1_fp64"), run, 1e-12, 1e-9);
            compareState("raw after 3 steps", run.raw, "training/xx_small_after3_fp64_delta.safetensors", 1e-6, 1e-6, m);
            compareState("EMA after 3 steps", run.ema, "training/xx_small_ema_after3_fp64_delta.safetensors", 1e-6, 1e-6, m);
        }
    }

    @ParameterizedTest
    @EnumSource(MemoryFormat.class)
    void threeStepsInFloat32StayWithinFloat32Noise(MemoryFormat format) {
        try (NDManager m = NDManager.newBaseManager()) {
            ThreeSteps run = ThreeSteps.run(DataType.FLOAT32, format, m);
            double loss = Json.flat(REF.get("losses_before_each_step_fp64"))[0];
            assertEquals(loss, run.losses[0], float32LossError(loss), "loss before step 1");
            // fp32 vs fp64 gradients at step 1: 1.4e-6
            checkGradientNorms(REF.getAsJsonObject("grad_norms_step1_cvnets_fp64"), run.gradientNorms, 1e-6, 1e-4);
            checkStemStatistics(REF.getAsJsonObject("stem_bn_after_step1_fp64"), run, 1e-6, 1e-4);
            // The EMA after 3 steps is 0.9995^3 of the fixture weights plus 0.0005 of each raw state. An Adam step
            // moves a parameter by at most 1.004 lr here (|m^| / sqrt(v^) <= sqrt(sum_i a_i^2 / b_i) for the bias-
            // corrected weights a, b of t <= 3 steps), so float32 and float64 part by 2.01 lr per step and the
            // EMAs by 0.0005 (2 + 4 + 6) 1.004 lr = 1.2e-5, plus float32's rounding of three blends, 10u|b| <
            // 4e-6. Running statistics: 1.5e-3 of their float32 error, under 1e-4 while that stays below 0.06
            // (the fixtures saw 2.3e-3 on another CPU; fp32 vs fp64 EMA: 4.4e-6).
            compareState("EMA after 3 steps", run.ema, "training/xx_small_ema_after3_fp64_delta.safetensors", 1e-4, 0, m);
        }
    }

    /** What one run of the fixture's sequence produced, as float64 copies. */
    private static final class ThreeSteps {
        final double[] losses = new double[4];
        final Map<String, Double> gradientNorms = new LinkedHashMap<>();
        double[] stemMean;
        double[] stemVar;
        final Map<String, NDArray> raw = new LinkedHashMap<>();
        final Map<String, NDArray> ema = new LinkedHashMap<>();

        /**
         * forward1 -> loss[0] -> backward -> step1 -> EMA; twice more; snapshot of raw and EMA state;
         * forward4 -> loss[3]. The model and input are built in {@code type}; the fixture weights
         * are float32 and so exact in either. The forwards store their feature maps in {@code format}.
         */
        static ThreeSteps run(DataType type, MemoryFormat format, NDManager m) {
            ThreeSteps out = new ThreeSteps();
            MobileViT.Builder builder = MobileViT.builder().setVariant(Variant.XXS)
                    .optClassifierDropout(0).optTransformerDropout(0).optDataType(type);
            try (TrainStep step = TrainStep.builder(List.of(Device.cpu()), builder).optEma(0.0005)
                    .optMemoryFormat(format).build()) {
                StateDict.load(step.replicas().master(), read(m, "weights/xx_small_cvnets.safetensors"), "fixture");
                step.adoptMasterWeights(); // the EMA is a copy made before step 1, as CVNets'
                NDArray input = npy(m, "training/xx_small_train_input_b4_256x256.npy").toType(type, false);
                NDArray labels = npy(m, "training/xx_small_train_labels.npy");
                ReplicaGroup.ShardSource batch = (replica, scope) -> new NDList(input.duplicate(), labels.duplicate());
                for (int i = 0; i < 3; i++) {
                    out.losses[i] = step.accumulate(batch).loss();
                    if (i == 0) {
                        try (NDManager scope = m.newSubManager()) {
                            step.meanGradients(scope).forEach((name, g) -> out.gradientNorms.put(name,
                                    Math.sqrt(g.toType(DataType.FLOAT64, false).square().sum().getDouble())));
                        }
                        out.stemMean = float64(step.replicas().state().get("conv_1.block.norm.running_mean"));
                        out.stemVar = float64(step.replicas().state().get("conv_1.block.norm.running_var"));
                    }
                    step.closeWindow(0.002);
                }
                assertEquals(3, step.optimizer().steps());
                step.replicas().state().forEach((name, a) -> out.raw.put(name, copy(a, m)));
                step.ema().model().state().forEach((name, a) -> out.ema.put(name, copy(a, m)));
                out.losses[3] = step.accumulate(batch).loss();
            }
            return out;
        }

        private static double[] float64(NDArray a) {
            return a.toType(DataType.FLOAT64, false).toDoubleArray();
        }

        private static NDArray copy(NDArray a, NDManager m) {
            NDArray c = a.duplicate().toType(DataType.FLOAT64, false); // toType alone would share float64 memory
            c.attach(m);
            return c;
        }
    }

    /**
     * The float32 loss before the first step against float64's. Per sample, cross-entropy moves by at
     * most 2 max_k |d logit_k| (its gradient p - t has absolute sum at most 2), and float32 logits are
     * within the fixtures' tolerance 1e-4 + 1e-4|b| of float64's (fixtures README), |b| < 0.31 here (a
     * float64 run: 0.3001); float32's own cross-entropy adds {@link TrainingMathTest#lossError} for
     * logits spanning A < 0.62 with L = log sum exp(x - max) < log C.
     */
    private static double float32LossError(double loss) {
        int classes = 1000;
        double e = TrainingMathTest.logProbabilityError(0.62, Math.log(classes), classes);
        return 2 * (1e-4 + 1e-4 * 0.31) + TrainingMathTest.lossError(e, classes, 4, loss);
    }

    private static void checkGradientNorms(JsonObject expected, Map<String, Double> norms, double atol, double rtol) {
        assertEquals(expected.size(), norms.size());
        for (Map.Entry<String, JsonElement> e : expected.entrySet()) {
            double ref = e.getValue().getAsDouble();
            assertEquals(ref, norms.get(e.getKey()), atol + rtol * ref, "gradient norm of " + e.getKey());
        }
    }

    private static void checkStemStatistics(JsonObject bn, ThreeSteps run, double atol, double rtol) {
        assertClose("stem running_mean", run.stemMean, Json.flat(bn.get("running_mean")), atol, rtol);
        assertClose("stem running_var", run.stemVar, Json.flat(bn.get("running_var")), atol, rtol);
    }

    /**
     * Compares every entry with a float64 reference after three steps, stored as its float32
     * difference from the fixture weights (fixtures/derive_fp64_deltas.py; the sum is the reference
     * to within 1% of the tolerance): both load into float64 models under Hugging Face names, and
     * their sum is the reference.
     */
    private static void compareState(String what, Map<String, NDArray> actual, String deltaFile, double atol,
            double rtol, NDManager m) {
        MobileViT start = MobileViT.builder().optDataType(DataType.FLOAT64).buildInitialized(m, 0);
        StateDict.load(start, read(m, "weights/xx_small_hf.safetensors"), "fixture weights");
        MobileViT delta = MobileViT.builder().optDataType(DataType.FLOAT64).buildInitialized(m, 0);
        StateDict.load(delta, read(m, deltaFile), deltaFile);
        Map<String, NDArray> d = delta.state();
        for (Map.Entry<String, NDArray> e : start.state().entrySet()) {
            assertClose(what + " " + e.getKey(), actual.get(e.getKey()), e.getValue().add(d.get(e.getKey())), atol, rtol);
        }
        assertEquals(actual.size(), start.state().size(), what + ": entries");
    }
}
