package mobilevit.launch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonParser;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import javax.imageio.ImageIO;

/**
 * The fine-tuning example of docs/training.md, run: a demo-trained run (here one short epoch of
 * configs/demo.yaml) fine-tuned with configs/finetune_xxs.yaml on a generated dataset with other
 * classes, with that page's own synth and train command lines (plus overrides that make them
 * small: one epoch, 64-pixel crops). Then the same command again resumes and ignores --init-weights.
 */
@Tag("slow")
class FineTuneTest {

    @TempDir
    Path tmp;

    static final Path ROOT = Path.of(System.getProperty("fixtures.dir", "../fixtures")).getParent();
    static final String[] SMALL = {"--set", "train.epochs=1", "--set", "sampler.base_size=64", "--set",
        "sampler.min_size=64", "--set", "sampler.max_size=64", "--set", "eval.resize=72", "--set", "eval.crop=64",
        "--set", "train.batch_size=16", "--set", "data.workers=1", "--set", "train.log_every=1"};

    /**
     * Generates a dataset of 3 classes (4 training and 1 validation image each, 80x80) in
     * {@code tmp/data} and returns the command line of a one-epoch {@link #SMALL} run of the demo
     * config on it, into {@code tmp/run}.
     */
    static String[] threeClassTraining(Path tmp) {
        Path data = tmp.resolve("data");
        assertEquals(0, Cli.run("synth", "--output", data.toString(), "--classes", "3", "--train-per-class", "4",
                "--val-per-class", "1", "--image-size", "80x80").exitCode());
        List<String> train = new ArrayList<>(List.of("train", "--config", ROOT.resolve("configs/demo.yaml")
                .toString(), "--data", data.toString(), "--output", tmp.resolve("run").toString(), "--set",
                "model.num_classes=3"));
        train.addAll(List.of(SMALL));
        return train.toArray(String[]::new);
    }

    @Test
    void theDocsExampleFineTunesADemoRunOnOtherClasses() throws IOException {
        Path demo = Files.createDirectories(tmp.resolve("demo-output"));
        assertEquals(0, Cli.run("synth", "--output", demo.resolve("data").toString(), "--classes", "10",
                "--train-per-class", "3", "--val-per-class", "1").exitCode());
        List<String> pretrain = new ArrayList<>(List.of("train", "--config", ROOT.resolve("configs/demo.yaml").toString(),
                "--data", demo.resolve("data").toString(), "--output", demo.resolve("run").toString()));
        pretrain.addAll(List.of(SMALL));
        assertEquals(0, Cli.run(pretrain.toArray(String[]::new)).exitCode());

        List<String[]> example = docsExample();
        assertEquals(0, Cli.run(example.get(0)).exitCode(), "synth");
        Cli.Result tuned = Cli.run(example.get(1));
        assertEquals(0, tuned.exitCode(), tuned.err());
        assertTrue(tuned.err().contains("initialised from the EMA weights of checkpoint " + demo.resolve("run")
                .toAbsolutePath().resolve("checkpoints/e0001-i000000") + " (CVNets names): loaded 277 of the 279 tensors"
                + " of MobileViT-XXS with 12 classes; re-initialised the classifier for 12 classes [classifier.fc.weight"
                + " ((10, 320) in file, (12, 320) expected), classifier.fc.bias ((10) in file, (12) expected)]"),
                tuned.err());
        Path run = demo.resolve("finetune");
        assertEquals(2, Files.readAllLines(run.resolve("metrics.csv")).size(), "one epoch");
        for (String png : new String[] {"loss.png", "lr.png", "top1.png"}) {
            assertEquals(800, ImageIO.read(run.resolve("plots").resolve(png).toFile()).getWidth(), png);
        }

        // an edit to the run folder's config.yaml is not used, and the resume says so
        Path configFile = run.resolve("config.yaml");
        String written = Files.readString(configFile);
        Matcher epochs = Pattern.compile("(?m)^  epochs: 1$").matcher(written);
        assertTrue(epochs.find(), written);
        Files.writeString(configFile, epochs.replaceFirst("  epochs: 5"));
        Cli.Result again = Cli.run(example.get(1));
        assertEquals(0, again.exitCode(), again.err());
        assertTrue(again.err().contains("WARN  " + configFile + " differed from the configuration of e0001-i000000 in"
                + " [train.epochs]: edits to it are not used (it is rewritten from --config and --set at every start);"
                + " change a setting with --set KEY=VALUE"), again.err());
        assertEquals(written, Files.readString(configFile), "rewritten from the command's configuration");
        assertTrue(again.err().contains("resuming from ") && again.err().contains("the run resumes from its checkpoint"
                + " and ignores --init-weights " + demo.resolve("run")), again.err());

        Cli.Result plot = Cli.run(example.get(2));
        assertEquals(0, plot.exitCode(), plot.err());
        assertEquals("wrote " + run.resolve("plots/loss.png") + ", " + run.resolve("plots/lr.png") + ", "
                + run.resolve("plots/top1.png"), plot.out().strip());

        // its checkpoint names its model: another --variant or --classes for eval is refused, not applied
        String data = demo.resolve("data12").toString();
        Cli.run("eval", "--data", data, "--checkpoint", run.toString(), "--variant", "s").failsWithOneLine(2,
                "--variant s does not match the checkpoint's model.variant xxs; leave --variant out with --checkpoint");
        Cli.run("eval", "--data", data, "--checkpoint", run.toString(), "--classes", "10").failsWithOneLine(2,
                "--classes 10 does not match the checkpoint's model.num_classes 12; leave --classes out");

        // without --report, the report goes into the checkpoint's run folder (not the current folder)
        Cli.Result evaluated = Cli.run("eval", "--data", data, "--checkpoint", run.toString(), "--ema", "--workers", "1");
        assertEquals(0, evaluated.exitCode(), evaluated.err());
        String last = JsonParser.parseString(Files.readString(run.resolve("checkpoints/last.json"))).getAsJsonObject()
                .get("checkpoint").getAsString();
        Path report = run.toAbsolutePath().resolve("eval-" + last + ".json");
        assertTrue(evaluated.out().contains("report: " + report), evaluated.out());
        assertTrue(JsonParser.parseString(Files.readString(report)).getAsJsonObject().getAsJsonObject("results")
                .has("ema"), report::toString);
        assertFalse(Files.exists(Path.of("eval-report.json")), "nothing written into the current folder");
    }

    /** The synth, train and plot lines of docs/training.md's fine-tuning block, demo-output/ moved to the test's folder. */
    private List<String[]> docsExample() throws IOException {
        String page = Files.readString(ROOT.resolve("docs/training.md"));
        Matcher block = Pattern.compile("## Fine-tuning.*?```bash\\n(.*?)```", Pattern.DOTALL).matcher(page);
        assertTrue(block.find(), "docs/training.md has a Fine-tuning section with a bash block");
        List<String[]> commands = new ArrayList<>();
        for (String line : block.group(1).replace("\\\n", " ").split("\n")) {
            String command = line.replaceAll("\\s+#.*$", "").trim();
            if (!command.startsWith("launch/mobilevit ") || command.startsWith("launch/mobilevit demo")) {
                continue;
            }
            List<String> args = new ArrayList<>(Arrays.asList(command.substring("launch/mobilevit ".length())
                    .replace("demo-output", tmp.resolve("demo-output").toString())
                    .replace("configs/", ROOT.resolve("configs") + "/").split("\\s+")));
            if (args.get(0).equals("train")) {
                args.addAll(List.of(SMALL));
            }
            commands.add(args.toArray(String[]::new));
        }
        assertEquals(List.of("synth", "train", "plot"), commands.stream().map(c -> c[0]).toList());
        return commands;
    }

    @Test
    void refusesWeightsThatLittleOfFitsWithTheKeyList() throws IOException {
        Path data = tmp.resolve("data");
        assertEquals(0, Cli.run("synth", "--output", data.toString(), "--classes", "2", "--train-per-class", "2",
                "--val-per-class", "1").exitCode());
        List<String> train = new ArrayList<>(List.of("train", "--config", ROOT.resolve("configs/finetune_xxs.yaml")
                .toString(), "--data", data.toString(), "--output", tmp.resolve("run").toString(), "--devices", "cpu",
                "--init-weights", ROOT.resolve("torch-fixtures/tiny_f32.pt").toString()));
        train.addAll(List.of(SMALL));
        Cli.run(train.toArray(String[]::new)).failsWithOneLine(2, "tiny_f32.pt fits only 0 of the 279 tensors of"
                + " MobileViT-XXS with 10 classes (CVNets names): 279 missing [conv_1.block.conv.weight");
        train.set(train.indexOf("--init-weights") + 1, tmp.resolve("none.pt").toString());
        Cli.run(train.toArray(String[]::new)).failsWithOneLine(2, "--init-weights " + tmp.resolve("none.pt")
                + " does not exist");
    }

    @Test
    void plotRefusesAFolderThatIsNoRun() {
        Cli.run("plot", tmp.toString()).failsWithOneLine(2, tmp + " is not a run folder (it has neither metrics.csv"
                + " nor log.jsonl)");
        Cli.run("plot", tmp.resolve("none").toString()).failsWithOneLine(2, "run folder " + tmp.resolve("none")
                + " does not exist");
    }
}
