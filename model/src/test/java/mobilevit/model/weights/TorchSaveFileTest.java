package mobilevit.model.weights;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;

import mobilevit.core.UserError;
import mobilevit.model.TorchXxsWeights;
import mobilevit.model.WeightsFile;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/** The torch.save reader on files PyTorch wrote (torch-fixtures/), good and malicious. */
class TorchSaveFileTest {

    static final Path DIR = Path.of(System.getProperty("torch.fixtures.dir", "../torch-fixtures"));
    static final Path WEIGHTS = Path.of(System.getProperty("fixtures.dir", "../fixtures")).resolve("weights");
    /** What the evil files' command would create. */
    static final Path MARKER = Path.of("/tmp/mobilevit-torch-fixture-executed");

    @ParameterizedTest
    @CsvSource({"tiny_f32.pt", "tiny_f16.pt", "views.pt", "dtypes.pt", "cvnets_checkpoint.pt", "wrapped_state_dict.pt",
        "protocol4.pt"})
    void readsEveryTensorAsPyTorchDoes(String file) throws IOException {
        JsonObject expected = JsonParser.parseString(Files.readString(DIR.resolve("expected.json")))
                .getAsJsonObject().getAsJsonObject(file);
        try (NDManager m = NDManager.newBaseManager()) {
            NDList tensors = WeightsFile.read(DIR.resolve(file), m);
            assertEquals(List.copyOf(expected.keySet()), tensors.stream().map(NDArray::getName).toList());
            for (NDArray a : tensors) {
                JsonObject e = expected.getAsJsonObject(a.getName());
                String dtype = e.get("dtype").getAsString().replace("bfloat16", "float32").replace("int16", "int32");
                assertEquals(dtype, torchName(a.getDataType()), a.getName()); // widened exactly, see Tensors
                long[] shape = e.getAsJsonArray("shape").asList().stream().mapToLong(JsonElement::getAsLong).toArray();
                assertArrayEquals(shape, a.getShape().getShape(), a.getName());
                List<JsonElement> values = e.getAsJsonArray("values").asList();
                if (a.getDataType().isFloating()) {
                    double[] actual = a.toType(DataType.FLOAT64, false).toDoubleArray();
                    assertArrayEquals(values.stream().mapToDouble(JsonElement::getAsDouble).toArray(), actual, 0,
                            a.getName());
                } else {
                    long[] actual = a.toType(DataType.INT64, false).toLongArray();
                    assertArrayEquals(values.stream().mapToLong(JsonElement::getAsLong).toArray(), actual, a.getName());
                }
            }
        }
    }

    private static String torchName(DataType t) {
        return Map.of(DataType.FLOAT64, "float64", DataType.FLOAT32, "float32", DataType.FLOAT16, "float16",
                DataType.INT64, "int64", DataType.INT32, "int32", DataType.INT8, "int8", DataType.UINT8, "uint8",
                DataType.BOOLEAN, "bool").get(t);
    }

    @ParameterizedTest
    @CsvSource({"xx_small_hf.bin, xx_small_hf.safetensors", "xx_small_cvnets.pt, xx_small_cvnets.safetensors"})
    void holdsTheSameTensorsAsTheSafetensorsFixture(String torchFile, String safetensors) {
        try (NDManager m = NDManager.newBaseManager()) {
            NDList pt = WeightsFile.read(TorchXxsWeights.file(torchFile), m);
            NDList st = WeightsFile.read(WEIGHTS.resolve(safetensors), m);
            assertEquals(st.size(), pt.size());
            for (int i = 0; i < st.size(); i++) {
                assertEquals(st.get(i).getName(), pt.get(i).getName());
                assertArrayEquals(st.get(i).toFloatArray(), pt.get(i).toFloatArray(), 0f, st.get(i).getName());
            }
        }
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "evil_os_system.pt|data.pkl, byte 2: global os.system is not allowed in a weights file",
        "evil_posix_system.pt|global posix.system is not allowed",
        "evil_builtins_eval.pt|global builtins.eval is not allowed",
        "evil_reduce_storage.pt|REDUCE calls torch.FloatStorage, which a weights file may not call",
        "truncated_storage.pt|storage data/0 holds 216 bytes, but its 108 float32 elements are 432 bytes (the file is"
                + " truncated)",
        "zip_slip.pt|entry named '../../mobilevit-zip-slip.txt', a path that leads outside the archive (zip slip)",
        "storage_key_escape.pt|a storage key is '../../../etc/passwd', not a plain name",
        "legacy.pt|is a legacy torch.save file (a bare pickle, before PyTorch 1.6)"})
    void refusesWithOneLineAndRunsNothing(String file, String reason) throws IOException {
        Files.deleteIfExists(MARKER);
        try (NDManager m = NDManager.newBaseManager()) {
            UserError e = assertThrows(UserError.class, // bad input: exit code 2 on the command line
                    () -> WeightsFile.read(DIR.resolve(file), m));
            assertTrue(e.getMessage().startsWith(DIR.resolve(file).toString()), e.getMessage());
            assertTrue(e.getMessage().contains(reason), e.getMessage());
            assertFalse(e.getMessage().contains("\n"), e.getMessage());
        }
        assertFalse(Files.exists(MARKER), "the file's command ran");
    }
}
