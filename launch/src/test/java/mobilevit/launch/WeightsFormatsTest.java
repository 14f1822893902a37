package mobilevit.launch;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;

import mobilevit.data.dataset.SyntheticImageNet;
import mobilevit.model.Npy;
import mobilevit.model.TorchXxsWeights;
import mobilevit.model.WeightsFile;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * Released-weights formats on the command line: torch.save files give the logits and accuracy of
 * the same weights as safetensors, {@code convert} writes them as safetensors, and malicious or
 * malformed files end with one line and exit code 2.
 */
class WeightsFormatsTest {

    @TempDir
    static Path tmp;

    static final Path TORCH = Path.of(System.getProperty("torch.fixtures.dir", "../torch-fixtures"));
    static final Path MARKER = Path.of("/tmp/mobilevit-torch-fixture-executed");

    @BeforeAll
    static void data() throws IOException {
        SyntheticImageNet.generate(tmp.resolve("data"), 3, 1, 4, 9);
    }

    @ParameterizedTest
    @CsvSource({"xx_small_hf.bin, xx_small_hf.safetensors", "xx_small_cvnets.pt, xx_small_cvnets.safetensors"})
    void forwardGivesTheSameLogitsAsTheSafetensors(String torchFile, String safetensors) throws IOException {
        float[] fromTorch = logits(TorchXxsWeights.file(torchFile), "pt");
        float[] fromSafetensors = logits(CommandLineTest.fixture("weights/" + safetensors), "st");
        assertEquals(2000, fromTorch.length);
        assertArrayEquals(fromSafetensors, fromTorch, 0f);
    }

    private static float[] logits(Path weights, String tag) throws IOException {
        Path out = tmp.resolve("logits-" + weights.getFileName() + "-" + tag + ".npy");
        Cli.Result r = Cli.run("forward", "--variant", "xxs", "--weights", weights.toString(), "--input",
                CommandLineTest.fixture("inputs/input_b2_160x160.npy").toString(), "--output", out.toString());
        assertEquals(0, r.exitCode(), r.err());
        try (NDManager m = NDManager.newBaseManager(); InputStream in = Files.newInputStream(out)) {
            return Npy.read(m, in).toFloatArray();
        }
    }

    @Test
    void predictPrintsTheSameClassesAsFromTheSafetensors() {
        String image = CommandLineTest.fixture("preprocess/img_500x375.jpg").toString();
        Cli.Result fromTorch = Cli.run("predict", "--weights", TorchXxsWeights.file("xx_small_hf.bin").toString(), "--variant",
                "xxs", image);
        Cli.Result fromSafetensors = Cli.run("predict", "--weights",
                CommandLineTest.fixture("weights/xx_small_hf.safetensors").toString(), "--variant", "xxs", image);
        assertEquals(0, fromTorch.exitCode(), fromTorch.err());
        assertEquals(6, fromTorch.out().strip().lines().count(), fromTorch.out());
        assertEquals(fromSafetensors.out(), fromTorch.out());
    }

    @Test
    @Tag("slow")
    void evalGivesTheSameTopOneAndTopFiveAsTheSafetensors() throws IOException {
        JsonObject fromTorch = evalResults(TorchXxsWeights.file("xx_small_cvnets.pt"));
        JsonObject fromSafetensors = evalResults(CommandLineTest.fixture("weights/xx_small_cvnets.safetensors"));
        assertEquals(12, fromTorch.getAsJsonObject("weights").get("images").getAsInt(), fromTorch.toString());
        assertEquals(fromSafetensors, fromTorch);
    }

    private static JsonObject evalResults(Path weights) throws IOException {
        Path report = tmp.resolve("report-" + weights.getFileName() + ".json");
        Cli.Result r = Cli.run("eval", "--data", tmp.resolve("data").toString(), "--weights", weights.toString(),
                "--variant", "xxs", "--workers", "1", "--report", report.toString());
        assertEquals(0, r.exitCode(), r.err());
        return JsonParser.parseString(Files.readString(report)).getAsJsonObject().getAsJsonObject("results");
    }

    @Test
    void convertWritesTheSameTensorsAsSafetensors() throws IOException {
        Path out = tmp.resolve("converted/xx_small.safetensors");
        Cli.Result r = Cli.run("convert", "--weights", TorchXxsWeights.file("xx_small_cvnets.pt").toString(), "--output",
                out.toString());
        assertEquals(0, r.exitCode(), r.err());
        assertEquals("wrote " + out + ": 279 tensors, 1276136 values", r.out().strip());
        try (Stream<Path> files = Files.list(out.getParent())) {
            assertEquals(java.util.List.of(out), files.toList(), "nothing but the output (no temporary file)");
        }
        try (NDManager m = NDManager.newBaseManager()) {
            Map<String, NDArray> converted = byName(WeightsFile.read(out, m));
            Map<String, NDArray> reference = byName(WeightsFile.read(
                    CommandLineTest.fixture("weights/xx_small_cvnets.safetensors"), m));
            assertEquals(reference.keySet(), converted.keySet());
            reference.forEach((name, a) -> assertArrayEquals(a.toFloatArray(), converted.get(name).toFloatArray(), 0f,
                    name));
        }
    }

    private static Map<String, NDArray> byName(NDList list) {
        return list.stream().collect(Collectors.toMap(NDArray::getName, a -> a));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "evil_os_system.pt|global os.system is not allowed in a weights file",
        "evil_posix_system.pt|global posix.system is not allowed in a weights file",
        "evil_builtins_eval.pt|global builtins.eval is not allowed in a weights file",
        "evil_reduce_storage.pt|REDUCE calls torch.FloatStorage, which a weights file may not call",
        "truncated_storage.pt|(the file is truncated)",
        "zip_slip.pt|a path that leads outside the archive (zip slip)",
        "storage_key_escape.pt|a storage key is '../../../etc/passwd', not a plain name",
        "legacy.pt|is a legacy torch.save file"})
    void refusesMaliciousAndDamagedTorchFilesInOneLine(String file, String reason) throws IOException {
        Files.deleteIfExists(MARKER);
        String weights = TORCH.resolve(file).toString();
        Cli.run("forward", "--variant", "xxs", "--weights", weights, "--input",
                CommandLineTest.fixture("inputs/input_b1_128x128.npy").toString(), "--output",
                tmp.resolve("never.npy").toString()).failsWithOneLine(2, reason);
        Cli.run("eval", "--data", tmp.resolve("data").toString(), "--weights", weights).failsWithOneLine(2, reason);
        Cli.run("convert", "--weights", weights, "--output", tmp.resolve("never.safetensors").toString())
                .failsWithOneLine(2, reason);
        assertFalse(Files.exists(MARKER), "the file's command ran");
        assertFalse(Files.exists(tmp.resolve("never.npy")));
        assertFalse(Files.exists(tmp.resolve("never.safetensors")));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "header-beyond-file|1000|{}|0|the header length, 1000 bytes, is beyond the end of the file (10 bytes)",
        "offsets-beyond-data|-1|{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}|4|tensor 'a' has"
                + " data_offsets [0, 8] outside the 4 bytes of data",
        "overlap|-1|{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"b\":{\"dtype\":\"F32\","
                + "\"shape\":[2],\"data_offsets\":[4,12]}}|12|tensors 'a' (bytes 0 to 8) and 'b' (bytes 4 to 12) overlap",
        "size-mismatch|-1|{\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}|8|tensor 'a' has 8 bytes of"
                + " data, but its shape [3] of F32 needs 12",
        "negative-shape|-1|{\"a\":{\"dtype\":\"F32\",\"shape\":[-2],\"data_offsets\":[0,8]}}|8|tensor 'a' has shape"
                + " [-2] with a negative number",
        "overflowing-shape|-1|{\"a\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296,4],\"data_offsets\":[0,8]}}"
                + "|8|tensor 'a' has shape [4294967296, 4294967296, 4], more elements than any file holds",
        "fractional-shape|-1|{\"a\":{\"dtype\":\"F32\",\"shape\":[1.5],\"data_offsets\":[0,8]}}|8|tensor 'a' has"
                + " shape [1.5], which is not a list of integers",
        "unknown-dtype|-1|{\"a\":{\"dtype\":\"F128\",\"shape\":[2],\"data_offsets\":[0,8]}}|8|tensor 'a' has an"
                + " unknown dtype 'F128'",
        "bad-json|-1|{\"a\": {\"dtype\": |8|the header (15 bytes) is not valid JSON",
        "not-an-object|-1|[1, 2]|0|the header is not a JSON object",
        "too-short|-2||0|it has 3 bytes, fewer than the 8 of the header length"})
    void refusesMalformedSafetensorsInOneLine(String name, long headerLength, String header, int dataBytes,
            String reason) throws IOException {
        Path file = tmp.resolve(name + ".safetensors");
        Files.write(file, safetensors(headerLength, header == null ? "" : header, dataBytes));
        Cli.Result r = Cli.run("forward", "--variant", "xxs", "--weights", file.toString(), "--input",
                CommandLineTest.fixture("inputs/input_b1_128x128.npy").toString(), "--output",
                tmp.resolve("never.npy").toString());
        r.failsWithOneLine(2, file + " is not a valid safetensors file: " + reason);
        for (String stray : new String[] {"WARN", "gson", "Gson", "Exception", "null"}) {
            assertFalse(r.err().contains(stray) || r.out().contains(stray), stray + " in: " + r.err() + r.out());
        }
    }

    /** A header length (-1: the header's own, -2: a 3-byte file), the header, then zero bytes of data. */
    private static byte[] safetensors(long headerLength, String header, int dataBytes) {
        if (headerLength == -2) {
            return new byte[3];
        }
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN)
                .putLong(headerLength == -1 ? h.length : headerLength).array());
        out.writeBytes(h);
        out.writeBytes(new byte[dataBytes]);
        return out.toByteArray();
    }
}
