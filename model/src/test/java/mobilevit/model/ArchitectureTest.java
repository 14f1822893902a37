package mobilevit.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.Set;
import java.util.stream.Collectors;

/** Sizes, counts and shapes that do not need reference weights. */
class ArchitectureTest {

    @ParameterizedTest
    @EnumSource(Variant.class)
    void trainableParameterCountsEqualTheReference(Variant variant) {
        // CVNets v0.1's exact counts (fixtures/README.md) and the paper's 1.3M / 2.3M / 5.6M
        long expected = switch (variant) {
            case XXS -> 1_272_024L;
            case XS -> 2_317_848L;
            case S -> 5_578_632L;
        };
        double paperMillions = switch (variant) {
            case XXS -> 1.3;
            case XS -> 2.3;
            case S -> 5.6;
        };
        try (NDManager m = NDManager.newBaseManager()) {
            MobileViT model = MobileViT.builder().setVariant(variant).buildInitialized(m, 0);
            assertEquals(expected, model.trainableParameterCount());
            assertEquals(paperMillions, Math.round(model.trainableParameterCount() / 1e5) / 10.0);
        }
    }

    @ParameterizedTest
    @CsvSource({"1,32,32", "3,33,47", "2,97,65", "1,161,255", "5,64,64"})
    @Tag("slow")
    void anySizeFromThirtyTwoAndAnyBatchWork(int batch, int h, int w) {
        try (NDManager m = NDManager.newBaseManager()) {
            MobileViT model = MobileViT.builder().setVariant(Variant.XXS).optNumClasses(7).buildInitialized(m, 3);
            NDArray x = m.randomUniform(0, 1, new Shape(batch, 3, h, w));
            NDArray y = model.forward(new ParameterStore(m, false), new NDList(x), false).singletonOrThrow();
            assertEquals(new Shape(batch, 7), y.getShape());
            assertTrue(y.isInfinite().logicalOr(y.isNaN()).none().getBoolean());
        }
    }

    @Test
    void initialisationIsSeededAndFollowsCvnets() {
        try (NDManager m = NDManager.newBaseManager()) {
            MobileViT a = MobileViT.builder().buildInitialized(m, 42);
            MobileViT b = MobileViT.builder().buildInitialized(m, 42);
            NDArray wa = a.namedParameters().get("layer_3.1.global_rep.0.pre_norm_mha.1.qkv_proj.weight").getArray();
            NDArray wb = b.namedParameters().get("layer_3.1.global_rep.0.pre_norm_mha.1.qkv_proj.weight").getArray();
            assertTrue(wa.contentEquals(wb));
            assertEquals(0.02, std(wa), 0.002);
            NDArray conv = a.namedParameters().get("layer_2.0.block.exp_1x1.block.conv.weight").getArray();
            // Kaiming normal, fan_out = 32 output channels * 1 * 1
            assertEquals(Math.sqrt(2.0 / 32), std(conv), 0.1 * Math.sqrt(2.0 / 32));
            assertEquals(0f, a.namedParameters().get("classifier.fc.bias").getArray().abs().max().getFloat());
            assertEquals(1f, a.namedParameters().get("conv_1.block.norm.weight").getArray().min().getFloat());
            assertEquals(1f, a.namedParameters().get("conv_1.block.norm.running_var").getArray().min().getFloat());
        }
    }

    @Test
    void normalisationParametersAreThoseOfTheNormLayers() {
        try (NDManager m = NDManager.newBaseManager()) {
            MobileViT model = MobileViT.builder().buildInitialized(m, 0);
            // BatchNorms (block.norm), the transformers' pre-norms and each MobileViT block's final LayerNorm
            Set<String> expected = model.namedParameters().keySet().stream()
                    .filter(n -> n.matches(".*(\\.norm\\.|pre_norm_(mha|ffn)\\.0\\.|global_rep\\.\\d+\\.[a-z_]+$).*"))
                    .collect(Collectors.toSet());
            assertEquals(expected, model.normalisationParameterNames());
            assertEquals((2 + 4 + 3) * 4 + 3 * 2, model.normalisationParameterNames().stream()
                    .filter(n -> !n.contains(".norm.")).count(), "LayerNorm weights and biases");
        }
    }

    private static double std(NDArray a) {
        double mean = a.mean().getFloat();
        return Math.sqrt(a.sub(mean).square().mean().getFloat());
    }

    @Test
    void unknownVariantIsNamed() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Variant.parse("m"));
        assertTrue(e.getMessage().contains("'m'") && e.getMessage().contains("xxs, xs, s"), e.getMessage());
    }
}
