package mobilevit.export;

import static mobilevit.model.TensorAssert.assertClose;
import static mobilevit.model.TensorAssert.fixture;
import static mobilevit.model.TensorAssert.npy;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;

import mobilevit.model.Autograd;
import mobilevit.model.MobileViT;
import mobilevit.model.Variant;
import mobilevit.model.WeightsFile;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * Exported files run on ONNX Runtime against the references: XXS with the fixture weights against
 * CVNets v0.1's logits (fixtures/logits) at the fixture sizes, with the size fixed at export and
 * free, and against DJL's forward at other sampler sizes; XS, S and a 10-class XXS with seeded
 * CVNets-init weights against DJL's forward. Tolerance |a - b| <= 1e-4 + 1e-4 |b|, the fixtures'.
 */
class OnnxExportParityTest {

    private static final List<String> FIXTURE_INPUTS = List.of("b2_256x256", "b2_160x160", "b1_200x200", "b1_128x128");

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
    void xxsOfAFixedSizeMatchesCvnetsLogits(String tag, int size) throws Exception {
        try (OrtSession session = OnnxRuntimeRun.open(export(xxs, Variant.XXS, InputSize.fixed(size, size)))) {
            assertMatchesCvnets(session, tag, "fixed");
        }
    }

    @Test
    void xxsOfAFreeSizeMatchesCvnetsLogitsAndDjlAtOtherSamplerSizes() throws Exception {
        try (OrtSession session = OnnxRuntimeRun.open(export(xxs, Variant.XXS, InputSize.FREE))) {
            for (String tag : FIXTURE_INPUTS) {
                assertMatchesCvnets(session, tag, "free");
            }
            for (int size : new int[] {192, 288, 320}) {
                assertMatchesDjl(session, xxs, size, size, "free");
            }
            assertMatchesDjl(session, xxs, 160, 224, "free"); // not square: the last map 5x7
        }
    }

    @ParameterizedTest
    @Tag("slow") // S's forward at 256 takes seconds on two cores
    @EnumSource(value = Variant.class, names = {"XS", "S"})
    void largerVariantsMatchDjl(Variant variant) throws Exception {
        try (NDManager m = manager.newSubManager()) {
            MobileViT model = MobileViT.builder().setVariant(variant).buildInitialized(m, 21);
            try (OrtSession session = OnnxRuntimeRun.open(export(model, variant, InputSize.fixed(256, 256)))) {
                assertMatchesDjl(session, model, 256, "fixed");
            }
            try (OrtSession session = OnnxRuntimeRun.open(export(model, variant, InputSize.FREE))) {
                assertMatchesDjl(session, model, 256, "free");
                assertMatchesDjl(session, model, 160, "free");
            }
        }
    }

    @Test
    void aFineTunedClassCountExports() throws Exception {
        try (NDManager m = manager.newSubManager()) {
            MobileViT model = MobileViT.builder().setVariant(Variant.XXS).optNumClasses(10).buildInitialized(m, 22);
            try (OrtSession session = OnnxRuntimeRun.open(export(model, Variant.XXS, InputSize.fixed(256, 256)))) {
                assertMatchesDjl(session, model, 256, "fixed");
            }
        }
    }

    private static void assertMatchesCvnets(OrtSession session, String tag, String size) throws OrtException {
        try (NDManager m = manager.newSubManager()) {
            NDArray input = npy(m, "inputs/input_" + tag + ".npy");
            NDArray expected = npy(m, "logits/xx_small_" + tag + ".npy");
            String what = "XXS (" + size + " size) vs CVNets " + tag;
            report(what, assertClose(what, OnnxRuntimeRun.logits(session, input, m), expected, 1e-4, 1e-4));
            if (input.getShape().get(0) == 2) { // the batch is free: one image alone
                assertClose(what + ", image 1 alone", OnnxRuntimeRun.logits(session, input.get(new NDIndex("1:2")), m),
                        expected.get(new NDIndex("1:2")), 1e-4, 1e-4);
            }
        }
    }

    private static void assertMatchesDjl(OrtSession session, MobileViT model, int size, String sizeKind)
            throws OrtException {
        assertMatchesDjl(session, model, size, size, sizeKind);
    }

    private static void assertMatchesDjl(OrtSession session, MobileViT model, int h, int w, String sizeKind)
            throws OrtException {
        try (NDManager m = manager.newSubManager()) {
            m.getEngine().setRandomSeed(h * 1000 + w);
            NDArray input = m.randomUniform(0f, 1f, new Shape(2, 3, h, w));
            NDArray expected = model.forward(new ParameterStore(m, false), new NDList(input), false).singletonOrThrow();
            String what = String.format(Locale.ROOT, "%s (%d classes, %s size) vs DJL b2 %dx%d",
                    model.architecture().name(), model.numClasses(), sizeKind, h, w);
            report(what, assertClose(what, OnnxRuntimeRun.logits(session, input, m), expected, 1e-4, 1e-4));
            // the two images' logits differ by more than 10 tolerances: a file that ignored its input would fail
            float apart = expected.get(0).sub(expected.get(1)).abs().max().getFloat();
            assertTrue(apart > 1e-3, what + ": the two images' logits differ by only " + apart);
        }
    }

    /** The worst error's share of the tolerance, for docs/export.md. */
    private static void report(String what, double ratio) {
        System.out.printf(Locale.ROOT, "%s: worst |a-b| / (1e-4 + 1e-4|b|) = %.4f%n", what, ratio);
    }

    private static Path export(MobileViT model, Variant variant, InputSize size) throws IOException {
        Path file = dir.resolve(variant.id() + "-" + model.numClasses() + "-" + size + ".onnx");
        OnnxExport.write(model, size, ExportMetadata.of(variant, model.numClasses(), 288, 256, xxsWeights), file);
        return file;
    }
}
