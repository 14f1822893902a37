package mobilevit.trainer;

import static mobilevit.model.TensorAssert.assertClose;
import static mobilevit.model.TensorAssert.npy;
import static mobilevit.model.TensorAssert.read;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;

import mobilevit.model.MobileViT;
import mobilevit.model.StateDict;
import mobilevit.model.Variant;

import org.junit.jupiter.api.Test;

import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Three AdamW steps of MobileViT-XXS from the fixture weights against CVNets v0.1 + PyTorch's
 * AdamW (fixtures/training/xx_small_train.json): losses, step-1 gradient norms, the stem's
 * BatchNorm statistics, and the raw and EMA weights after three steps.
 */
class TrainingStepFixtureTest {

    @Test
    void threeStepsMatchTheReference() {
        JsonObject ref = Json.fixtureObject("training/xx_small_train.json");
        double[] losses = Json.flat(ref.get("losses_before_each_step_fp64"));
        MobileViT.Builder builder = MobileViT.builder().setVariant(Variant.XXS)
                .optClassifierDropout(0).optTransformerDropout(0);
        try (NDManager m = NDManager.newBaseManager();
                ReplicaGroup group = new ReplicaGroup(List.of(Device.cpu()), builder, 0, 0.1, true)) {
            NDList weights = read(m, "weights/xx_small_cvnets.safetensors");
            StateDict.load(group.master(), weights, "fixture");
            Ema ema = Ema.copyOf(group.state(), builder, m, 0.0005); // a copy made before step 1, as CVNets'
            MobileViT emaModel = ema.model();
            AdamW adamw = new AdamW(0.9, 0.999, 1e-8, 0.01);

            NDArray input = npy(m, "training/xx_small_train_input_b4_256x256.npy");
            NDArray labels = npy(m, "training/xx_small_train_labels.npy");
            ReplicaGroup.ShardSource batch = (replica, scope) -> new NDList(
                    input.toDevice(scope.getDevice(), true), labels.toDevice(scope.getDevice(), true));

            for (int step = 0; step < 3; step++) {
                double loss = group.forwardBackward(batch, 0, step).loss();
                if (step == 0) {
                    assertEquals(losses[0], loss, 1e-5 * losses[0], "loss before step 1");
                    checkGradientNorms(ref.getAsJsonObject("grad_norms_step1_cvnets_fp64"), group.gradients());
                    JsonObject bn = ref.getAsJsonObject("stem_bn_after_step1_fp64");
                    assertClose("stem running_mean", group.state().get("conv_1.block.norm.running_mean").toType(ai.djl.ndarray.types.DataType.FLOAT64, false).toDoubleArray(),
                            Json.flat(bn.get("running_mean")), 1e-6, 1e-4);
                    assertClose("stem running_var", group.state().get("conv_1.block.norm.running_var").toType(ai.djl.ndarray.types.DataType.FLOAT64, false).toDoubleArray(),
                            Json.flat(bn.get("running_var")), 1e-6, 1e-4);
                } else {
                    assertEquals(losses[step], loss, 2e-4, "loss after " + step + " steps");
                }
                group.apply(adamw, 0.002);
                ema.update(group.state());
            }
            assertEquals(3, adamw.steps());

            Set<String> noise = new HashSet<>();
            ref.getAsJsonArray("zero_gradient_params_cvnets").forEach(e -> noise.add(e.getAsString()));
            assertEquals(7, noise.size());
            compareState("raw after 3 steps", group.state(), "training/xx_small_after3.safetensors", noise, 2e-3, m);
            compareState("EMA after 3 steps", emaModel.state(), "training/xx_small_ema_after3.safetensors",
                    Set.of(), 1e-4, m);

            double loss4 = group.forwardBackward(batch, 0, 3).loss();
            assertEquals(losses[3], loss4, 2e-4, "loss after 3 steps");
        }
    }

    private static void checkGradientNorms(JsonObject expected, Map<String, NDArray> grads) {
        assertEquals(expected.size(), grads.size());
        for (Map.Entry<String, JsonElement> e : expected.entrySet()) {
            double norm = Math.sqrt(grads.get(e.getKey()).square().sum().getFloat());
            double ref = e.getValue().getAsDouble();
            if (ref > 1e-6) { // the zero-gradient parameters' norms are rounding noise
                assertEquals(ref, norm, 1e-4 * ref, "gradient norm of " + e.getKey());
            }
        }
    }

    /** Loads a Hugging Face-named reference into a fresh model and compares entry by entry. */
    private static void compareState(String what, Map<String, NDArray> actual, String file, Set<String> skip,
            double atol, NDManager m) {
        MobileViT reference = MobileViT.builder().buildInitialized(m, 0);
        StateDict.load(reference, read(m, file), file);
        int compared = 0;
        for (Map.Entry<String, NDArray> e : reference.state().entrySet()) {
            if (!skip.contains(e.getKey())) {
                assertClose(what + " " + e.getKey(), actual.get(e.getKey()), e.getValue(), atol, 0);
                compared++;
            }
        }
        assertEquals(actual.size() - skip.size(), compared);
    }
}
