package mobilevit.launch;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;

import mobilevit.data.BadImages;
import mobilevit.data.codec.ImageDecoding;
import mobilevit.data.dataset.ImageFolder;
import mobilevit.data.dataset.SyntheticImageNet;
import mobilevit.data.pipeline.EvalTransform;
import mobilevit.model.Autograd;
import mobilevit.model.ChannelsLastCheck;
import mobilevit.model.MemoryFormat;
import mobilevit.model.MobileViT;
import mobilevit.model.Npy;
import mobilevit.model.Variant;
import mobilevit.model.WeightsFile;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** The info, forward and eval commands end to end, and their one-line errors. */
class CommandLineTest {

    @TempDir
    static Path tmp;

    static Path fixture(String relative) {
        return Path.of(System.getProperty("fixtures.dir", "../fixtures")).resolve(relative);
    }

    static final String WEIGHTS = fixture("weights/xx_small_hf.safetensors").toString();

    @BeforeAll
    static void data() throws IOException {
        SyntheticImageNet.generate(tmp.resolve("data"), 3, 1, 4, 9);
    }

    /**
     * The two model benchmarks run at a tiny size and end with their name=value line (the speed
     * itself is not asserted: benchmarks, not tests, hold speed targets).
     */
    @Test
    void benchmarksRunAndEndWithTheirNameValueLine() {
        Cli.Result model = Cli.run("bench", "model", "--batch", "1", "--size", "64", "--iterations", "1", "--warmup", "0");
        assertEquals(0, model.exitCode(), model.err());
        String last = model.out().strip().lines().reduce((a, b) -> b).orElse("");
        // the format that ran: channels_last, or contiguous where this CPU fails ChannelsLastCheck
        String format;
        try (NDManager m = NDManager.newBaseManager()) {
            format = ChannelsLastCheck.resolve(MemoryFormat.CHANNELS_LAST,
                    MobileViT.builder().setVariant(Variant.XXS).buildInitialized(m, 0), Device.cpu()).id();
        }
        assertTrue(last.matches("forward_img_s=[0-9.]+ train_img_s=[0-9.]+ batch=1 size=64 variant=xxs precision=fp32"
                + " memory_format=" + format), last);
        Cli.Result train = Cli.run("bench", "train", "--batch", "1", "--size", "64", "--steps", "2", "--warmup", "1",
                "--rss-first", "1", "--torch", "off");
        assertEquals(0, train.exitCode(), train.err());
        last = train.out().strip().lines().reduce((a, b) -> b).orElse("");
        assertTrue(last.startsWith("step_ms=") && last.contains(" optimizer_ms=") && last.endsWith(" reason=off"), last);
    }

    @Test
    void convertRefusesToOverwriteItsInput() throws IOException {
        Path weights = Files.copy(fixture("weights/xx_small_hf.safetensors"), tmp.resolve("in-place.safetensors"));
        byte[] before = Files.readAllBytes(weights);
        Cli.run("convert", "--weights", weights.toString(), "--output", tmp.resolve(".").resolve("in-place.safetensors")
                .toString()).failsWithOneLine(2, "is the --weights file itself; convert writes a new file");
        assertArrayEquals(before, Files.readAllBytes(weights));
    }

    @Test
    void infoPrintsTheParameterCountAndStageShapes() {
        Cli.Result r = Cli.run("info", "--variant", "xs", "--size", "200", "200");
        assertEquals(0, r.exitCode());
        assertTrue(r.out().contains("trainable parameters: 2,317,848"), r.out());
        assertTrue(r.out().contains("layer_5         (1, 96, 7, 7)") || r.out().matches("(?s).*layer_5\\s+\\(1, 96, 7, 7\\).*"),
                r.out());
    }

    @Test
    void forwardWritesTheReferenceLogits() throws IOException {
        Path out = tmp.resolve("logits.npy");
        assertEquals(0, Cli.run("forward", "--variant", "xxs", "--weights", WEIGHTS, "--input",
                fixture("inputs/input_b1_200x200.npy").toString(), "--output", out.toString()).exitCode());
        try (NDManager m = NDManager.newBaseManager()) {
            float[] actual = read(m, out).toFloatArray();
            float[] expected = read(m, fixture("logits/xx_small_b1_200x200.npy")).toFloatArray();
            assertEquals(1000, actual.length);
            for (int i = 0; i < expected.length; i++) {
                assertEquals(expected[i], actual[i], 1e-4 + 1e-4 * Math.abs(expected[i]), "logit " + i);
            }
        }
    }

    @Test
    void forwardRefusesBadInputInOneLine() throws IOException {
        String out = tmp.resolve("y.npy").toString();
        String input = fixture("inputs/input_b1_128x128.npy").toString();
        Cli.run("forward", "--variant", "m", "--weights", WEIGHTS, "--input", input, "--output", out)
                .failsWithOneLine(2, "unknown MobileViT variant 'm'");
        Cli.run("forward", "--variant", "xxs", "--weights", tmp.resolve("none.safetensors").toString(), "--input", input,
                "--output", out).failsWithOneLine(2, "none.safetensors does not exist");
        Cli.run("forward", "--variant", "xs", "--weights", WEIGHTS, "--input", input, "--output", out)
                .failsWithOneLine(2, "does not fit MobileViT-XS");
        Path text = Files.writeString(tmp.resolve("text.safetensors"), "hello, not tensors");
        Cli.run("forward", "--variant", "xxs", "--weights", text.toString(), "--input", input, "--output", out)
                .failsWithOneLine(2, "text.safetensors is not a valid safetensors file: the header length");
        Cli.run("forward", "--variant", "xxs", "--weights", WEIGHTS, "--input",
                fixture("training/xx_small_train_labels.npy").toString(), "--output", out)
                .failsWithOneLine(2, "expected float32 [N,3,H,W]");
        Path small = tmp.resolve("small.npy");
        try (NDManager m = NDManager.newBaseManager(); OutputStream o = Files.newOutputStream(small)) {
            Npy.write(m.zeros(new Shape(1, 3, 16, 16)), o);
        }
        Cli.run("forward", "--variant", "xxs", "--weights", WEIGHTS, "--input", small.toString(), "--output", out)
                .failsWithOneLine(2, "H, W >= 32");
        Path garbage = Files.writeString(tmp.resolve("garbage.npy"), "not numpy");
        Cli.run("forward", "--variant", "xxs", "--weights", WEIGHTS, "--input", garbage.toString(), "--output", out)
                .failsWithOneLine(2, "cannot read input");
    }

    @Test
    void predictPrintsTheTopFiveWithImageNetNames() throws IOException {
        Cli.Result r = Cli.run("predict", "--weights", WEIGHTS, "--variant", "xxs",
                fixture("preprocess/img_500x375.jpg").toString());
        assertEquals(0, r.exitCode(), r.err());
        String[] lines = r.out().strip().split("\n");
        assertEquals(6, lines.length, r.out());
        for (int i = 1; i < 6; i++) {
            assertTrue(lines[i].matches("\\s+\\d+\\.\\d\\d%\\s+n\\d{8} .+"), lines[i]);
        }
        Cli.run("predict", "--weights", WEIGHTS, "--variant", "xxs", tmp.resolve("none.jpg").toString())
                .failsWithOneLine(2, "none.jpg does not exist");
        // a 49 KB PNG of 20000x20000 black pixels, refused by its header instead of taking gigabytes
        Path bomb = Files.createDirectories(tmp.resolve("bad-images"));
        BadImages.write(bomb, fixture("preprocess/img_500x375.jpg"));
        bomb = bomb.resolve("claims_20000x20000.png");
        Cli.run("predict", "--weights", WEIGHTS, "--variant", "xxs", bomb.toString())
                .failsWithOneLine(2, "error: cannot read image " + bomb + ": claims 20000x20000"
                        + BadImages.OVER_THE_LIMIT);
        // the weights reach the model with the first image, inside DJL's predictor
        Cli.run("predict", "--weights", WEIGHTS, "--variant", "xxs", "--classes", "10",
                fixture("preprocess/img_500x375.jpg").toString())
                .failsWithOneLine(2, "does not fit MobileViT-XXS with 10 classes");
    }

    @Test
    void unknownCommandsAndOptionsShowTheUsage() {
        Cli.Result cmd = Cli.run("fly");
        assertEquals(2, cmd.exitCode());
        assertTrue(cmd.err().contains("Unmatched argument") && cmd.err().contains("Usage: mobilevit"), cmd.err());
        Cli.Result opt = Cli.run("info", "--variant", "xxs", "--colour", "red");
        assertEquals(2, opt.exitCode());
        assertTrue(opt.err().contains("Unknown options: '--colour'") && opt.err().contains("Usage: mobilevit info"),
                opt.err());
    }

    @Test
    @Tag("slow")
    void evalEqualsTopOneAndTopFiveFromTheLogitsThemselves() throws Exception {
        Path report = tmp.resolve("report.json");
        Cli.Result r = Cli.run("eval", "--data", tmp.resolve("data").toString(), "--weights", WEIGHTS, "--variant", "xxs",
                "--batch-size", "5", "--workers", "2", "--report", report.toString());
        assertEquals(0, r.exitCode(), r.err());
        JsonObject weights = JsonParser.parseString(Files.readString(report)).getAsJsonObject()
                .getAsJsonObject("results").getAsJsonObject("weights");

        // the same, one image at a time, without the evaluator or the loader
        ImageFolder val = ImageFolder.open(tmp.resolve("data/val"));
        EvalTransform transform = EvalTransform.paper();
        int top1 = 0;
        int top5 = 0;
        try (NDManager m = NDManager.newBaseManager()) {
            Autograd.setEnabled(false);
            MobileViT model = WeightsFile.loadModel(Path.of(WEIGHTS), Variant.XXS, 1000, m);
            for (int i = 0; i < val.size(); i++) {
                NDArray x = m.create(transform.apply(ImageDecoding.read(val.path(i))), new Shape(1, 3, 256, 256));
                NDArray logits = model.forward(new ParameterStore(m, false), new NDList(x), false).singletonOrThrow();
                long[] best = logits.topK(5, 1, true, true).get(1).toLongArray();
                top1 += best[0] == val.label(i) ? 1 : 0;
                for (long b : best) {
                    top5 += b == val.label(i) ? 1 : 0;
                }
            }
        }
        assertEquals(12, weights.get("images").getAsInt(), "every image counted once");
        assertEquals(100.0 * top1 / 12, weights.get("top1").getAsDouble(), 1e-9);
        assertEquals(100.0 * top5 / 12, weights.get("top5").getAsDouble(), 1e-9);
        assertTrue(r.out().contains("top-1") && r.out().contains("images/s"), r.out());
    }

    /** The commands that take one --device share its option: the same help, the same one-line refusals. */
    @Test
    void oneDeviceOptionRefusesDevicesThisMachineLacks() {
        String input = fixture("inputs/input_b1_128x128.npy").toString();
        List<String[]> commands = List.of(
                new String[] {"forward", "--variant", "xxs", "--weights", WEIGHTS, "--input", input, "--output",
                    tmp.resolve("never.npy").toString()},
                new String[] {"eval", "--data", tmp.resolve("data").toString(), "--weights", WEIGHTS},
                new String[] {"bench", "model", "--iterations", "1", "--warmup", "0"});
        for (String[] command : commands) {
            List<String> args = new ArrayList<>(List.of(command));
            args.addAll(List.of("--device", "tpu0"));
            Cli.run(args.toArray(String[]::new)).failsWithOneLine(2, "devices 'tpu0' not understood");
            args.set(args.size() - 1, "cpu:2");
            Cli.run(args.toArray(String[]::new)).failsWithOneLine(2, "expected one device, got 'cpu:2' (2 devices)");
            Cli.Result help = Cli.run(command[0].equals("bench") ? new String[] {"bench", "model", "--help"}
                    : new String[] {command[0], "--help"});
            assertTrue(help.out().contains("--device=<device>     cpu or gpuN (default cpu)"), help.out());
        }
        assertFalse(Files.exists(tmp.resolve("never.npy")));
    }

    /** The commands that build a model share --variant and --classes: the same one-line refusals. */
    @Test
    void oneModelOptionRefusesAVariantOrAClassCountThatIsNone() {
        String input = fixture("inputs/input_b1_128x128.npy").toString();
        String image = tmp.resolve("never.jpg").toString();
        List<String[]> commands = List.of(
                new String[] {"info"},
                new String[] {"forward", "--weights", WEIGHTS, "--input", input, "--output", tmp.resolve("never.npy")
                    .toString()},
                new String[] {"overfit", "--weights", WEIGHTS, "--input", input, "--labels", input, "--steps", "1"},
                new String[] {"eval", "--data", tmp.resolve("data").toString(), "--weights", WEIGHTS},
                new String[] {"predict", "--weights", WEIGHTS, image},
                new String[] {"export", "--weights", WEIGHTS, "--output", tmp.resolve("never.onnx").toString()});
        for (String[] command : commands) {
            List<String> args = new ArrayList<>(List.of(command));
            args.addAll(List.of("--variant", "m"));
            Cli.run(args.toArray(String[]::new)).failsWithOneLine(2,
                    "error: unknown MobileViT variant 'm' (expected one of xxs, xs, s)");
            args.set(args.size() - 1, "xxs");
            args.addAll(List.of("--classes", "0"));
            Cli.run(args.toArray(String[]::new)).failsWithOneLine(2, "error: --classes must be positive, got 0");
        }
        Cli.run("predict", "--weights", WEIGHTS, image).failsWithOneLine(2, "error: --variant is required with --weights");
        assertFalse(Files.exists(tmp.resolve("never.npy")));
        assertFalse(Files.exists(tmp.resolve("never.onnx")));
    }

    @Test
    void evalRefusesBadInputInOneLine() throws IOException {
        Cli.run("eval", "--data", tmp.resolve("missing").toString(), "--weights", WEIGHTS)
                .failsWithOneLine(2, "missing does not exist");
        Path empty = Files.createDirectories(tmp.resolve("empty/val/n01440764"));
        Cli.run("eval", "--data", tmp.resolve("empty").toString(), "--weights", WEIGHTS)
                .failsWithOneLine(2, "no images");
        Cli.run("eval", "--data", tmp.resolve("data").toString(), "--weights", WEIGHTS, "--variant", "s")
                .failsWithOneLine(2, "does not fit MobileViT-S");
        Cli.run("eval", "--data", tmp.resolve("data").toString(), "--weights", WEIGHTS, "--batch-size", "-3")
                .failsWithOneLine(2, "--batch-size must be positive, got -3");
        Cli.run("eval", "--data", tmp.resolve("data").toString(), "--weights", WEIGHTS, "--ema")
                .failsWithOneLine(2, "--ema and --raw apply to --checkpoint, not to --weights");
        Cli.run("eval", "--data", tmp.resolve("data").toString(), "--checkpoint", tmp.resolve("data").toString())
                .failsWithOneLine(4, "is not a checkpoint");
        assertTrue(Files.isDirectory(empty));
    }

    @Test
    void trainHelpListsTheConfigurationKeysWithTheirDefaults() {
        Cli.Result r = Cli.run("train", "--help");
        assertEquals(0, r.exitCode(), r.err());
        assertTrue(r.out().contains("Configuration keys (--set KEY=VALUE):"), r.out());
        assertTrue(r.out().contains("  train.accum_freq (default 1)\n      micro-batches per optimizer step"), r.out());
        assertTrue(r.out().contains("  eval.batch_size (default 100)\n"), r.out());
    }

    @Test
    void trainRefusesBadConfigsInOneLine() throws IOException {
        Path cfg = Files.writeString(tmp.resolve("bad.yaml"), "train:\n  epoch: 3\n");
        Cli.run("train", "--config", cfg.toString(), "--output", tmp.resolve("run").toString())
                .failsWithOneLine(2, "unknown key train.epoch");
        Path demo = Path.of(System.getProperty("fixtures.dir", "../fixtures")).resolveSibling("configs/demo.yaml");
        Cli.run("train", "--config", demo.toString(), "--set", "train.batch_size=-8", "--output",
                tmp.resolve("run").toString()).failsWithOneLine(2, "train.batch_size must be >= 1, got -8");
        Cli.run("train", "--config", demo.toString(), "--output", tmp.resolve("run").toString())
                .failsWithOneLine(2, "data.root is not set");
        Cli.run("train", "--config", demo.toString(), "--data", tmp.resolve("nowhere").toString(), "--output",
                tmp.resolve("run").toString()).failsWithOneLine(2, "nowhere/train does not exist");
        Cli.run("train", "--config", demo.toString(), "--data", tmp.resolve("data").toString(), "--devices", "gpu0",
                "--output", tmp.resolve("run").toString()).failsWithOneLine(2, "needs gpu0");
    }

    private static NDArray read(NDManager m, Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            return Npy.read(m, in);
        }
    }
}
