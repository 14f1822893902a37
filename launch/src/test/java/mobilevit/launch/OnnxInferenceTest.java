package mobilevit.launch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * An exported .onnx file as {@code --weights} of eval and predict (ONNX Runtime through DJL, our
 * own decoding and evaluation transform): a short training run's checkpoint and its export give the
 * same evaluation, class by class, and the same top-5 classes image by image.
 */
@Tag("slow")
class OnnxInferenceTest {

    @TempDir
    Path tmp;

    @Test
    void theExportOfACheckpointEvaluatesAndPredictsAsTheCheckpoint() throws IOException {
        Path data = tmp.resolve("data");
        assertEquals(0, Cli.run("synth", "--output", data.toString(), "--classes", "10", "--train-per-class", "3",
                "--val-per-class", "2").exitCode());
        Path run = tmp.resolve("run");
        List<String> train = new ArrayList<>(List.of("train", "--config", FineTuneTest.ROOT.resolve("configs/demo.yaml")
                .toString(), "--data", data.toString(), "--output", run.toString()));
        train.addAll(List.of(FineTuneTest.SMALL));
        // evaluated and exported at 96: the last MobileViT block's 3x3 map takes the resize to whole
        // patches and back, in DJL's forward and in the file
        train.addAll(List.of("--set", "eval.resize=108", "--set", "eval.crop=96"));
        assertEquals(0, Cli.run(train.toArray(String[]::new)).exitCode());
        Path onnx = tmp.resolve("model.onnx");
        Cli.Result exported = Cli.run("export", "--checkpoint", run.toString(), "--output", onnx.toString(), "--size",
                "96", "96");
        assertEquals(0, exported.exitCode(), exported.err());

        Cli.Result ofCheckpoint = Cli.run("eval", "--data", data.toString(), "--checkpoint", run.toString(), "--ema",
                "--workers", "1", "--report", tmp.resolve("checkpoint.json").toString());
        assertEquals(0, ofCheckpoint.exitCode(), ofCheckpoint.err());
        Cli.Result ofOnnx = Cli.run("eval", "--data", data.toString(), "--weights", onnx.toString(), "--workers", "1",
                "--report", tmp.resolve("onnx.json").toString());
        assertEquals(0, ofOnnx.exitCode(), ofOnnx.err());
        JsonObject expected = results(tmp.resolve("checkpoint.json")).getAsJsonObject("ema");
        JsonObject actual = results(tmp.resolve("onnx.json")).getAsJsonObject("onnx");
        assertEquals(20, expected.get("images").getAsInt());
        assertEquals(expected, actual, "images, top-1, top-5, overall and per class");

        List<String> images;
        try (Stream<Path> files = Files.walk(data.resolve("val"))) {
            images = files.filter(Files::isRegularFile).map(Path::toString).sorted().toList();
        }
        List<String> classes;
        try (Stream<Path> folders = Files.list(data.resolve("val"))) {
            classes = folders.map(p -> p.getFileName().toString()).sorted().toList();
        }
        Map<String, List<String[]>> fromCheckpoint = predictions(predict("--checkpoint", run.toString(), images));
        Map<String, List<String[]>> fromOnnx = predictions(predict("--weights", onnx.toString(), images));
        assertEquals(images, List.copyOf(fromOnnx.keySet()));
        for (String image : images) {
            List<String[]> want = fromCheckpoint.get(image);
            List<String[]> got = fromOnnx.get(image);
            assertEquals(5, got.size(), image);
            for (int i = 0; i < 5; i++) {
                // the file has no class names: output c is "class c", the c-th of the sorted folders
                String name = classes.get(Integer.parseInt(got.get(i)[1].substring("class ".length())));
                assertEquals(want.get(i)[1], name, image + ", rank " + (i + 1));
                // the same probability up to float32 rounding of different kernels (1e-6 of the logits);
                // printed with two decimals in percent, such values differ by at most one unit
                assertEquals(Double.parseDouble(want.get(i)[0]), Double.parseDouble(got.get(i)[0]), 0.01 + 1e-9,
                        image + ", rank " + (i + 1));
            }
        }
    }

    @Test
    void anOnnxFileWithAnotherInputOrOtherClassesIsRefusedInOneLine() throws IOException {
        Path data = tmp.resolve("data");
        assertEquals(0, Cli.run("synth", "--output", data.toString(), "--classes", "2", "--train-per-class", "1",
                "--val-per-class", "1").exitCode());
        Path onnx = tmp.resolve("xxs.onnx");
        assertEquals(0, Cli.run("export", "--weights", FineTuneTest.ROOT.resolve(
                "fixtures/weights/xx_small_cvnets.safetensors").toString(), "--variant", "xxs", "--output",
                onnx.toString(), "--size", "64", "64").exitCode());
        String image;
        try (Stream<Path> files = Files.list(data.resolve("val/s0000-plain-circle"))) {
            image = files.findFirst().orElseThrow().toString();
        }
        Cli.run("predict", "--weights", onnx.toString(), "--classes", "10", image).failsWithOneLine(2,
                "--classes 10 does not match the 1000 classes of " + onnx + "; leave --classes out with an ONNX file");
        Cli.run("eval", "--data", data.toString(), "--weights", onnx.toString(), "--variant", "s").failsWithOneLine(2,
                "--variant s does not match the variant xxs of " + onnx);
        Cli.run("eval", "--data", data.toString(), "--weights", onnx.toString(), "--raw").failsWithOneLine(2,
                "--ema and --raw apply to --checkpoint, not to --weights");

        // the same graph with its input renamed (a protobuf string of the same length, so still a valid file)
        Path renamed = tmp.resolve("renamed.onnx");
        Files.write(renamed, new String(Files.readAllBytes(onnx), StandardCharsets.ISO_8859_1)
                .replace("pixels", "images").getBytes(StandardCharsets.ISO_8859_1));
        Cli.run("eval", "--data", data.toString(), "--weights", renamed.toString()).failsWithOneLine(2,
                "ONNX file " + renamed + " has the input(s) [images], not the one input 'pixels' [N, 3, H, W] of a"
                        + " MobileViT export");
        Cli.run("predict", "--weights", renamed.toString(), image).failsWithOneLine(2, "not the one input 'pixels'");
        Path notOnnx = Files.writeString(tmp.resolve("text.onnx"), "not a model");
        Cli.run("predict", "--weights", notOnnx.toString(), image).failsWithOneLine(2,
                "cannot read ONNX file " + notOnnx + ": ");
    }

    private static JsonObject results(Path report) throws IOException {
        return JsonParser.parseString(Files.readString(report)).getAsJsonObject().getAsJsonObject("results");
    }

    private static String predict(String option, String value, List<String> images) {
        List<String> args = new ArrayList<>(List.of("predict", option, value));
        args.addAll(images);
        Cli.Result r = Cli.run(args.toArray(String[]::new));
        assertEquals(0, r.exitCode(), r.err());
        return r.out();
    }

    /** predict's output: for each image, its lines "  12.34%  name" as (percent, name). */
    private static Map<String, List<String[]>> predictions(String out) {
        Map<String, List<String[]>> byImage = new LinkedHashMap<>();
        List<String[]> current = null;
        for (String line : out.lines().toList()) {
            if (!line.startsWith(" ")) {
                current = new ArrayList<>();
                byImage.put(line, current);
            } else {
                String[] parts = line.strip().split("%\\s+", 2);
                assertTrue(parts.length == 2 && current != null, line);
                current.add(parts);
            }
        }
        return byImage;
    }
}
