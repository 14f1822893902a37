package mobilevit.export;

import static mobilevit.model.TensorAssert.assertClose;
import static mobilevit.model.TensorAssert.fixture;
import static mobilevit.model.TensorAssert.npy;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.training.ParameterStore;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;

import mobilevit.model.Autograd;
import mobilevit.model.MobileViT;
import mobilevit.model.Variant;
import mobilevit.model.WeightsFile;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Locale;

/**
 * Exported files run on ONNX Runtime against the references: XXS with the fixture weights against
 * CVNets v0.1's logits (fixtures/logits) at the fixture sizes, and against DJL's forward at other
 * sampler sizes; XS, S and a 10-class XXS with seeded CVNets-init weights against DJL's forward.
 * Tolerance |a - b| <= 1e-4 + 1e-4 |b|, the fixtures' own.
 */
class OnnxExportParityTest {

    private static NDManager manager;
    private static MobileViT xxs;
    private static Path xxsWeights;

    @TempDir
    static Path dir;

    @BeforeAll
    static void load() {
        manager = NDManager.newBaseManager();
        Autograd.setEnabled(false);
        xxsWeights = fixture("weights/xx_small_hf.safetensors");
        xxs = WeightsFile.loadModel(xxsWeights, Variant.XXS, 1000, manager);
    }

    @AfterAll
    static void close() {
        manager.close();
    }

    @ParameterizedTest
    @CsvSource({"b2_256x256, 256", "b2_160x160, 160", "b1_200x200, 200", "b1_128x128, 128"})
    void xxsMatchesCvnetsLogits(String tag, int size) throws Exception {
        try (NDManager m = manager.newSubManager();
                OrtSession session = OnnxRuntimeRun.open(export(xxs, Variant.XXS, size))) {
            NDArray input = npy(m, "inputs/input_" + tag + ".npy");
            NDArray expected = npy(m, "logits/xx_small_" + tag + ".npy");
            assertClose("onnx logits " + tag, OnnxRuntimeRun.logits(session, input, m), expected, 1e-4, 1e-4);
            if (input.getShape().get(0) == 2) { // the batch is free: one image alone
                assertClose("onnx logits " + tag + " image 1 alone",
                        OnnxRuntimeRun.logits(session, input.get(new NDIndex("1:2")), m),
                        expected.get(new NDIndex("1:2")), 1e-4, 1e-4);
            }
        }
    }

    @ParameterizedTest
    @CsvSource({"192", "288", "320"})
    void xxsMatchesDjlAtOtherSamplerSizes(int size) throws Exception {
        assertMatchesDjl(xxs, Variant.XXS, size);
    }

    @ParameterizedTest
    @CsvSource({"XS, 256", "XS, 160", "S, 256", "S, 160"})
    void largerVariantsMatchDjl(Variant variant, int size) throws Exception {
        try (NDManager m = manager.newSubManager()) {
            assertMatchesDjl(MobileViT.builder().setVariant(variant).buildInitialized(m, 21), variant, size);
        }
    }

    @Test
    void aFineTunedClassCountExports() throws Exception {
        try (NDManager m = manager.newSubManager()) {
            assertMatchesDjl(MobileViT.builder().setVariant(Variant.XXS).optNumClasses(10).buildInitialized(m, 22),
                    Variant.XXS, 256);
        }
    }

    private static void assertMatchesDjl(MobileViT model, Variant variant, int size) throws IOException, OrtException {
        try (NDManager m = manager.newSubManager();
                OrtSession session = OnnxRuntimeRun.open(export(model, variant, size))) {
            m.getEngine().setRandomSeed(size);
            NDArray input = m.randomUniform(0f, 1f, new ai.djl.ndarray.types.Shape(2, 3, size, size));
            NDArray expected = model.forward(new ParameterStore(m, false), new NDList(input), false).singletonOrThrow();
            assertClose(String.format(Locale.ROOT, "%s at %d", variant, size),
                    OnnxRuntimeRun.logits(session, input, m), expected, 1e-4, 1e-4);
        }
    }

    private static Path export(MobileViT model, Variant variant, int size) throws IOException {
        Path file = dir.resolve(variant.id() + "-" + model.numClasses() + "-" + size + ".onnx");
        OnnxExport.write(model, size, size, ExportMetadata.of(variant, model.numClasses(), 288, 256, xxsWeights), file);
        return file;
    }
}
