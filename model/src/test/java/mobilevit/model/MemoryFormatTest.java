package mobilevit.model;

import static mobilevit.model.TensorAssert.assertClose;
import static mobilevit.model.TensorAssert.npy;
import static mobilevit.model.TensorAssert.read;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@link MemoryFormat#CHANNELS_LAST}: the images, the stem's output, the MobileViT blocks' folded
 * maps and the stages' outputs are stored N, H, W, C (PyTorch's strides, read through its
 * {@code is_contiguous}), and, where this CPU's kernels pass {@link ChannelsLastCheck}, the logits
 * still match CVNets v0.1's references at {@link MobileViTParityTest}'s tolerance.
 */
class MemoryFormatTest {

    private static NDManager manager;
    private static MobileViT model;

    @BeforeAll
    static void load() {
        manager = NDManager.newBaseManager();
        Autograd.setEnabled(false);
        model = MobileViT.builder().setVariant(Variant.XXS).buildInitialized(manager, 1);
        StateDict.load(model, read(manager, "weights/xx_small_cvnets.safetensors"), "cvnets");
    }

    @AfterAll
    static void close() {
        manager.close();
    }

    @Test
    void channelsLastCopiesTheImagesInNhwcOrder() throws ReflectiveOperationException {
        try (NDManager m = manager.newSubManager()) {
            NDArray images = m.arange(0f, 2 * 3 * 4 * 5).reshape(2, 3, 4, 5);
            assertSame(images, MemoryFormat.CONTIGUOUS.store(images));
            NDArray stored = MemoryFormat.CHANNELS_LAST.store(images);
            assertEquals(new Shape(2, 3, 4, 5), stored.getShape());
            assertArrayEquals(images.toFloatArray(), stored.toFloatArray());
            assertFalse(isContiguous(stored));
            assertTrue(isContiguous(stored.transpose(0, 2, 3, 1)), "memory order N, H, W, C");
        }
    }

    @Test
    void parsesTheConfigurationNames() {
        assertEquals(MemoryFormat.CHANNELS_LAST, MemoryFormat.parse("channels_last"));
        assertEquals(MemoryFormat.CONTIGUOUS, MemoryFormat.parse("CONTIGUOUS"));
        assertEquals("memory format must be contiguous or channels_last, got 'nhwc'",
                assertThrows(IllegalArgumentException.class,
                        () -> MemoryFormat.parse("nhwc")).getMessage());
    }

    // 200x200 takes the blocks' resize to even sides (stage 4 is 13x13) and back
    @ParameterizedTest
    @ValueSource(strings = {"b2_256x256", "b1_200x200"})
    void featureMapsStayChannelsLastAndTheLogitsMatchTheReference(String tag) throws ReflectiveOperationException {
        try (NDManager m = manager.newSubManager()) {
            Map<String, NDArray> maps = new LinkedHashMap<>();
            PairList<String, Object> params = new PairList<>();
            params.add(MemoryFormat.PARAM_KEY, MemoryFormat.CHANNELS_LAST);
            NDArray logits = model.forward(new ParameterStore(m, false), npy(m, "inputs/input_" + tag + ".npy"), false,
                    params, maps::put);
            for (String name : List.of("conv_1", "layer_1", "layer_2", "layer_3_mvit_folded", "layer_3",
                    "layer_4_mvit_folded", "layer_4", "layer_5_mvit_folded", "layer_5", "conv_1x1_exp")) {
                NDArray map = maps.get(name);
                assertTrue(isContiguous(map.transpose(0, 2, 3, 1)), name + " is stored N, H, W, C");
            }
            assumeTrue(ChannelsLastCheck.resolve(MemoryFormat.CHANNELS_LAST, model, Device.cpu())
                    == MemoryFormat.CHANNELS_LAST, "this CPU's channels_last convolution kernels fail ChannelsLastCheck"
                    + " (training uses contiguous maps here): logits not compared");
            assertClose("logits " + tag, logits, npy(m, "logits/xx_small_" + tag + ".npy"), 1e-4, 1e-4);
        }
    }

    /**
     * In float64 the two formats compute the same function, so each is within its own rounding of
     * that function's exact value, and they are within the sum of the two of each other. To first
     * order rounding errors are linear in the unit roundoff; a float32 evaluation is within 1e-4 +
     * 1e-4|b| (the fixtures' tolerance, fixtures README) whatever order its kernels sum in, so a
     * float64 one (u = 2^-53 against 2^-24) is within 2^-29 of that, and the two formats within 2^-28
     * of it (seen: 0.2% of this bound). Not each against the float64 reference logits: the model's
     * float64 logits differ from CVNets' by up to 2.8e-8, far more than float64 rounding.
     */
    @Test
    void bothFormatsGiveTheSameLogitsInFloat64() {
        try (NDManager m = manager.newSubManager()) {
            MobileViT wide = MobileViT.builder().setVariant(Variant.XXS).optDataType(DataType.FLOAT64)
                    .buildInitialized(m, 1);
            StateDict.load(wide, read(m, "weights/xx_small_cvnets.safetensors"), "cvnets");
            NDArray input = npy(m, "inputs/input_b1_200x200.npy").toType(DataType.FLOAT64, false);
            Map<MemoryFormat, NDArray> logits = new LinkedHashMap<>();
            for (MemoryFormat format : MemoryFormat.values()) {
                PairList<String, Object> params = new PairList<>();
                params.add(MemoryFormat.PARAM_KEY, format);
                logits.put(format, wide.forward(new ParameterStore(m, false), input, false, params,
                        StageRecorder.NONE));
            }
            assertClose("float64 logits", logits.get(MemoryFormat.CHANNELS_LAST), logits.get(MemoryFormat.CONTIGUOUS),
                    0x1p-28 * 1e-4, 0x1p-28 * 1e-4);
        }
    }

    /**
     * At 64x64 the last MobileViT block sees a 2x2 map, one patch: folding it back was a view with
     * channels-last strides, and on a CPU that fails {@link ChannelsLastCheck} the next 1x1
     * convolution took the wrong kernels (a batch of two gave logits 0.08 away from the same image
     * alone). Under {@link MemoryFormat#CONTIGUOUS} every folded map is contiguous, and the float32
     * logits are within the fixtures' tolerance of the same weights' float64 forward (the bound of
     * {@link #bothFormatsGiveTheSameLogitsInFloat64}'s argument, for any kernels' order of sums).
     */
    @Test
    void aOnePatchGridFoldsToContiguousMapsAndTheRightLogits() throws ReflectiveOperationException {
        try (NDManager m = manager.newSubManager()) {
            NDArray input = m.randomUniform(0, 1, new Shape(2, 3, 64, 64));
            Map<String, NDArray> maps = new LinkedHashMap<>();
            NDArray logits = model.forward(new ParameterStore(m, false), input, false, null, maps::put);
            assertEquals(new Shape(2, 96, 2, 2), maps.get("layer_5_mvit_folded").getShape());
            for (String name : List.of("layer_3_mvit_folded", "layer_4_mvit_folded", "layer_5_mvit_folded")) {
                assertTrue(isContiguous(maps.get(name)), name + " is contiguous");
            }
            MobileViT wide = MobileViT.builder().setVariant(Variant.XXS).optDataType(DataType.FLOAT64)
                    .buildInitialized(m, 1);
            StateDict.load(wide, read(m, "weights/xx_small_cvnets.safetensors"), "cvnets");
            NDArray reference = wide.forward(new ParameterStore(m, false), input.toType(DataType.FLOAT64, false),
                    false, null, StageRecorder.NONE);
            assertClose("float32 logits at 64x64", logits, reference, 1e-4, 1e-4);
        }
    }

    /** PyTorch's {@code is_contiguous()} (row-major strides), which DJL's API does not expose. */
    private static boolean isContiguous(NDArray a) throws ReflectiveOperationException {
        Class<?> library = Class.forName("ai.djl.pytorch.jni.PyTorchLibrary");
        Field instance = library.getDeclaredField("LIB");
        instance.setAccessible(true);
        Method isContiguous = library.getDeclaredMethod("torchIsContiguous", long.class);
        isContiguous.setAccessible(true);
        return (boolean) isContiguous.invoke(instance.get(null), ((PtNDArray) a).getHandle());
    }
}
