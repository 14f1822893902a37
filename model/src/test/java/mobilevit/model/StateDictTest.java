package mobilevit.model;

import static mobilevit.model.TensorAssert.fixture;
import static mobilevit.model.TensorAssert.read;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

class StateDictTest {

    @Test
    void huggingFaceNamesEqualTheReferenceKeymap() throws IOException {
        JsonObject map = JsonParser.parseString(Files.readString(fixture("weights/xx_small_keymap.json")))
                .getAsJsonObject().getAsJsonObject("map");
        assertEquals(279, map.size());
        for (Map.Entry<String, JsonElement> e : map.entrySet()) {
            List<String> expected = new ArrayList<>();
            e.getValue().getAsJsonArray().forEach(x -> expected.add(x.getAsString()));
            assertEquals(expected, StateDict.huggingFaceNames(Variant.XXS.architecture(), e.getKey()), e.getKey());
        }
        try (NDManager m = NDManager.newBaseManager()) {
            MobileViT model = MobileViT.builder().build();
            model.initialize(m, ai.djl.ndarray.types.DataType.FLOAT32, new ai.djl.ndarray.types.Shape(1, 3, 64, 64));
            assertEquals(map.keySet(), model.namedParameters().keySet(), "the model's own names are CVNets'");
        }
    }

    @Test
    void exportThenLoadRoundTrips() {
        try (NDManager m = NDManager.newBaseManager()) {
            MobileViT a = MobileViT.builder().buildInitialized(m, 5);
            MobileViT b = MobileViT.builder().buildInitialized(m, 6);
            StateDict.load(b, StateDict.export(a, m), "export");
            for (String name : a.namedParameters().keySet()) {
                assertTrue(a.namedParameters().get(name).getArray()
                        .contentEquals(b.namedParameters().get(name).getArray()), name);
            }
        }
    }

    @Test
    void mismatchListsMissingUnexpectedAndMisShapedKeys() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDList tensors = read(m, "weights/xx_small_hf.safetensors");
            NDArray removed = tensors.remove("mobilevit.conv_stem.convolution.weight");
            NDArray extra = m.zeros(new ai.djl.ndarray.types.Shape(3));
            extra.setName("mobilevit.extra.weight");
            tensors.add(extra);
            NDArray bias = tensors.remove("classifier.bias");
            NDArray wrong = m.zeros(new ai.djl.ndarray.types.Shape(999));
            wrong.setName("classifier.bias");
            tensors.add(wrong);
            MobileViT model = MobileViT.builder().buildInitialized(m, 0);
            WeightsMismatchException e = assertThrows(WeightsMismatchException.class,
                    () -> StateDict.load(model, tensors, "file.safetensors"));
            String msg = e.getMessage();
            assertTrue(msg.startsWith("file.safetensors does not fit MobileViT-XXS with 1000 classes"), msg);
            assertTrue(msg.contains("1 missing [mobilevit.conv_stem.convolution.weight]"), msg);
            assertTrue(msg.contains("1 unexpected [mobilevit.extra.weight]"), msg);
            assertTrue(msg.contains("1 mis-shaped [classifier.bias ((999) in file, (1000) expected)]"), msg);
            assertEquals(1, removed.getShape().dimension() - 3);
            assertEquals(1000, bias.size());
        }
    }

    @Test
    void otherVariantsWeightsAreRefused() {
        try (NDManager m = NDManager.newBaseManager()) {
            MobileViT xs = MobileViT.builder().setVariant(Variant.XS).buildInitialized(m, 0);
            WeightsMismatchException e = assertThrows(WeightsMismatchException.class,
                    () -> StateDict.load(xs, read(m, "weights/xx_small_cvnets.safetensors"), "xxs.safetensors"));
            assertTrue(e.getMessage().contains("mis-shaped"), e.getMessage());
        }
    }
}
