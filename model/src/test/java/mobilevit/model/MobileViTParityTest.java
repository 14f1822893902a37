package mobilevit.model;

import static mobilevit.model.TensorAssert.assertClose;
import static mobilevit.model.TensorAssert.npy;
import static mobilevit.model.TensorAssert.read;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.training.ParameterStore;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Eval-mode outputs against CVNets v0.1 references computed in float64 (fixtures/README.md). */
class MobileViTParityTest {

    private static NDManager manager;
    private static MobileViT cvnets;
    private static MobileViT huggingFace;

    @BeforeAll
    static void load() {
        manager = NDManager.newBaseManager();
        Autograd.setEnabled(false);
        cvnets = MobileViT.builder().setVariant(Variant.XXS).buildInitialized(manager, 1);
        assertEquals(StateDict.Naming.CVNETS,
                StateDict.load(cvnets, read(manager, "weights/xx_small_cvnets.safetensors"), "cvnets"));
        huggingFace = MobileViT.builder().setVariant(Variant.XXS).buildInitialized(manager, 2);
        assertEquals(StateDict.Naming.HUGGING_FACE,
                StateDict.load(huggingFace, read(manager, "weights/xx_small_hf.safetensors"), "hf"));
    }

    @AfterAll
    static void close() {
        manager.close();
    }

    @ParameterizedTest
    @ValueSource(strings = {"b2_256x256", "b2_160x160", "b1_200x200", "b1_128x128"})
    void logitsMatchUnderBothNamings(String tag) {
        try (NDManager m = manager.newSubManager()) {
            NDArray input = npy(m, "inputs/input_" + tag + ".npy");
            NDArray expected = npy(m, "logits/xx_small_" + tag + ".npy");
            for (MobileViT model : List.of(cvnets, huggingFace)) {
                NDArray logits = model.forward(new ParameterStore(m, false), new NDList(input), false)
                        .singletonOrThrow();
                assertClose("logits " + tag, logits, expected, 1e-4, 1e-4);
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"b2_256x256", "b1_200x200"})
    void stagesAndBlockInternalsMatch(String tag) {
        try (NDManager m = manager.newSubManager()) {
            Map<String, NDArray> stages = new HashMap<>();
            cvnets.forward(new ParameterStore(m, false), npy(m, "inputs/input_" + tag + ".npy"), false,
                    null, stages::put);
            List<String> names = List.of("conv_1", "layer_1", "layer_2", "layer_3", "layer_4", "layer_5",
                    "conv_1x1_exp", "pooled");
            for (String name : names) {
                assertClose(name, stages.get(name), npy(m, "stages/xx_small_" + tag + "_" + name + ".npy"), 1e-3, 1e-4);
            }
            for (String layer : List.of("layer_3", "layer_5")) {
                for (String step : List.of("input", "local_rep", "unfolded", "global_rep", "folded", "conv_proj", "output")) {
                    String name = layer + "_mvit_" + step;
                    assertClose(name, stages.get(name), npy(m, "stages/xx_small_" + tag + "_" + name + ".npy"), 1e-3, 1e-4);
                }
            }
        }
    }

    /**
     * d loss / d input for loss = sum_i R_i logits_i against the float64 gradient (fixtures README), at
     * its float32 tolerance. The loss is linear in the logits, so the logits' float32 tolerance (as in
     * {@link #logitsMatchUnderBothNamings}, same input and weights) bounds it: sum_i |R_i| (1e-4 +
     * 1e-4 |b_i| + half a float32 ulp of b_i, the stored reference's own rounding), plus the float32
     * products and their sum in any order, gamma(1000) sum_i |R_i logits_i| (Higham, eq. 4.4).
     */
    @Test
    void inputGradientThroughResizeUnfoldAndFold() {
        try (NDManager m = manager.newSubManager()) {
            NDArray input = npy(m, "inputs/input_b1_200x200.npy");
            NDArray r = npy(m, "training/xx_small_gradcheck_R.npy");
            input.setRequiresGradient(true);
            Autograd.setEnabled(true);
            try {
                NDArray logits = cvnets.forward(new ParameterStore(m, false), new NDList(input), false)
                        .singletonOrThrow();
                NDArray loss = logits.mul(r).sum();
                assertLossWithinTheLogitsTolerance(loss.getFloat(), logits, r, npy(m, "logits/xx_small_b1_200x200.npy"));
                Autograd.backward(loss, 1);
            } finally {
                Autograd.setEnabled(false);
            }
            assertClose("d loss / d input", input.getGradient(),
                    npy(m, "training/xx_small_gradcheck_dinput.npy"), 1e-4, 1e-3);
        }
    }

    private static void assertLossWithinTheLogitsTolerance(double loss, NDArray logits, NDArray r, NDArray expected) {
        double[] l = logits.toType(DataType.FLOAT64, false).toDoubleArray();
        double[] weights = r.toType(DataType.FLOAT64, false).toDoubleArray();
        double[] b = expected.toType(DataType.FLOAT64, false).toDoubleArray();
        double logitsTolerance = 0;
        double magnitude = 0;
        for (int i = 0; i < l.length; i++) {
            double w = Math.abs(weights[i]);
            logitsTolerance += w * (1e-4 + 1e-4 * Math.abs(b[i]) + Math.ulp((float) b[i]) / 2);
            magnitude += w * Math.abs(l[i]);
        }
        double n = l.length * 0x1p-24;
        double bound = logitsTolerance + n / (1 - n) * magnitude;
        // training/xx_small_gradcheck.json: loss_fp64
        assertEquals(1.5688180574059545, loss, bound, "loss, bound " + bound);
    }
}
