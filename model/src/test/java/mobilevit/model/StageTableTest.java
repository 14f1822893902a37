package mobilevit.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.List;

/** Architectures as tables of stages, and the model split into features and head. */
class StageTableTest {

    @Test
    void aHandBuiltTableBuildsAndRuns() {
        Architecture tiny = new Architecture("tiny", 8, List.of(
                new InvertedResidualStage(16, 2, 2, 2),
                new MobileViTStage(24, 2, 2, 32, 64, 1, 2, 2)),
                48, 0f);
        try (NDManager m = NDManager.newBaseManager()) {
            MobileViT model = MobileViT.builder().setArchitecture(tiny).optNumClasses(5).buildInitialized(m, 1);
            ParameterStore ps = new ParameterStore(m, false);
            NDArray x = m.randomUniform(0, 1, new Shape(2, 3, 32, 48));
            // stem, then two stride-2 stages: 1/8 of each side
            assertEquals(new Shape(2, 48, 4, 6),
                    model.features().forward(ps, new NDList(x), false).singletonOrThrow().getShape());
            NDArray logits = model.forward(ps, new NDList(x), false).singletonOrThrow();
            assertEquals(new Shape(2, 5), logits.getShape());
            assertTrue(logits.isInfinite().logicalOr(logits.isNaN()).none().getBoolean());
            assertEquals(List.of("conv_1", "layer_1", "layer_2", "conv_1x1_exp", "classifier"),
                    model.namedParameters().keySet().stream().map(k -> k.substring(0, k.indexOf('.'))).distinct()
                            .toList());
            assertTrue(model.namedParameters().containsKey("layer_1.1.block.exp_1x1.block.conv.weight"));
            assertTrue(model.namedParameters().containsKey("layer_2.1.global_rep.1.weight"), "L = 1, then the norm");
        }
    }

    @Test
    void featuresThenHeadIsTheForwardBitForBit() {
        try (NDManager m = NDManager.newBaseManager()) {
            MobileViT model = MobileViT.builder().optNumClasses(10).buildInitialized(m, 5);
            ParameterStore ps = new ParameterStore(m, false);
            NDArray x = m.randomUniform(0, 1, new Shape(2, 3, 64, 80));
            NDArray full = model.forward(ps, new NDList(x), false).singletonOrThrow();
            NDList features = model.features().forward(ps, new NDList(x), false);
            assertEquals(new Shape(2, 320, 2, 3), features.singletonOrThrow().getShape());
            NDArray split = model.head().forward(ps, features, false).singletonOrThrow();
            assertTrue(full.contentEquals(split), "features + head differ from the forward");
        }
    }

    @ParameterizedTest
    @EnumSource(Variant.class)
    void variantsAreNamedAfterTheirConstant(Variant variant) {
        assertEquals(variant.name(), variant.architecture().name());
        assertEquals(5, variant.architecture().stages().size());
    }
}
