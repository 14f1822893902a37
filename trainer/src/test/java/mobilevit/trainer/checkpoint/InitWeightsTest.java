package mobilevit.trainer.checkpoint;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

import mobilevit.model.MobileViT;
import mobilevit.model.TorchXxsWeights;
import mobilevit.model.Variant;
import mobilevit.model.WeightsFile;
import mobilevit.trainer.config.ConfigException;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.file.Path;
import java.util.Map;
import java.util.stream.Collectors;

/** Fine-tuning's start: what fits of pretrained weights is loaded, a classifier of another size is left fresh. */
class InitWeightsTest {

    static final Path FIXTURES = Path.of(System.getProperty("fixtures.dir", "../fixtures"));
    static final Path TORCH = Path.of(System.getProperty("torch.fixtures.dir", "../torch-fixtures"));

    @ParameterizedTest
    @CsvSource({"weights/xx_small_cvnets.safetensors, ", ", xx_small_hf.bin", ", xx_small_cvnets.pt"})
    void loadsTheBackboneAndKeepsAFreshClassifierForOtherClasses(String safetensors, String torchFile) {
        Path file = safetensors != null ? FIXTURES.resolve(safetensors) : TorchXxsWeights.file(torchFile);
        try (NDManager m = NDManager.newBaseManager()) {
            MobileViT fresh = model(m, 10);
            MobileViT run = model(m, 10);
            MobileViT ema = model(m, 10);
            InitWeights.apply(file, run, ema);
            Map<String, NDArray> pretrained = cvnetsNamed(m);
            for (MobileViT loaded : new MobileViT[] {run, ema}) {
                loaded.namedParameters().forEach((name, p) -> {
                    NDArray expected = name.startsWith("classifier.") ? fresh.namedParameters().get(name).getArray()
                            : pretrained.get(name);
                    assertArrayEquals(expected.toFloatArray(), p.getArray().toFloatArray(), 0f, name);
                });
            }
        }
    }

    @Test
    void loadsTheClassifierTooWhenTheClassesAgree() {
        try (NDManager m = NDManager.newBaseManager()) {
            MobileViT run = model(m, 1000);
            InitWeights.apply(TorchXxsWeights.file("xx_small_cvnets.pt"), run);
            Map<String, NDArray> pretrained = cvnetsNamed(m);
            assertArrayEquals(pretrained.get("classifier.fc.weight").toFloatArray(),
                    run.namedParameters().get("classifier.fc.weight").getArray().toFloatArray(), 0f);
        }
    }

    @Test
    void refusesWeightsOfAnotherVariantWithTheKeyLists() {
        try (NDManager m = NDManager.newBaseManager()) {
            // Outside assertThrows: where torch is missing, its assumption skips the test instead of failing it.
            Path weights = TorchXxsWeights.file("xx_small_hf.bin");
            MobileViT xs = MobileViT.builder().setVariant(Variant.XS).optNumClasses(10).buildInitialized(m, 0);
            ConfigException e = assertThrows(ConfigException.class, () -> InitWeights.apply(weights, xs));
            assertTrue(e.getMessage().matches("--init-weights .*xx_small_hf\\.bin fits only \\d+ of the 279 tensors of"
                    + " MobileViT-XS with 10 classes \\(Hugging Face names\\): 0 missing; 0 unexpected; \\d+ mis-shaped \\[.*"),
                    e.getMessage());
        }
    }

    private static MobileViT model(NDManager m, int classes) {
        return MobileViT.builder().setVariant(Variant.XXS).optNumClasses(classes).buildInitialized(m, 3);
    }

    private static Map<String, NDArray> cvnetsNamed(NDManager m) {
        return WeightsFile.read(FIXTURES.resolve("weights/xx_small_cvnets.safetensors"), m).stream()
                .collect(Collectors.toMap(NDArray::getName, a -> a));
    }
}
