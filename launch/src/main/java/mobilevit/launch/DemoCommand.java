package mobilevit.launch;

import ai.djl.ndarray.NDManager;

import mobilevit.core.AtomicFiles;
import mobilevit.core.UserError;
import mobilevit.data.dataset.ImageFolder;
import mobilevit.data.dataset.SyntheticImageNet;
import mobilevit.data.pipeline.EvalLoader;
import mobilevit.data.pipeline.EvalTransform;
import mobilevit.evaluation.Accuracy;
import mobilevit.evaluation.Evaluator;
import mobilevit.model.MobileViT;
import mobilevit.trainer.Trainer;
import mobilevit.trainer.checkpoint.Checkpoint;
import mobilevit.trainer.checkpoint.CheckpointStore;
import mobilevit.trainer.config.TrainConfig;
import mobilevit.trainer.report.EpochMetrics;
import mobilevit.trainer.report.RunPlots;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code demo}: the whole job on a generated dataset, on CPU: generate the data, train
 * MobileViT-XXS, interrupt the run once and resume it, evaluate the last checkpoint, plot.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Generate a small dataset, train MobileViT-XXS on CPU (interrupting and resuming once), "
                + "evaluate and plot. A few minutes on 2 cores.")
final class DemoCommand implements Runnable {

    @Option(names = "--output", defaultValue = "demo-output", description = "folder for data, run and plots (default ${DEFAULT-VALUE})")
    Path output;

    @Option(names = "--config", description = "a config to use instead of the built-in configs/demo.yaml")
    Path config;

    @Option(names = "--set", paramLabel = "KEY=VALUE", description = "override a config key")
    List<String> overrides = new ArrayList<>();

    @Option(names = "--classes", defaultValue = "10", description = "classes of the generated data (default ${DEFAULT-VALUE})")
    int classes;

    @Option(names = "--train-per-class", defaultValue = "100", description = "(default ${DEFAULT-VALUE})")
    int trainPerClass;

    @Option(names = "--val-per-class", defaultValue = "20", description = "(default ${DEFAULT-VALUE})")
    int valPerClass;

    @Override
    public void run() {
        long start = System.nanoTime();
        Path data = output.resolve("data");
        Path run = output.resolve("run");
        try {
            Files.createDirectories(output);
            if (!Files.isDirectory(data.resolve("val"))) {
                System.out.printf(Locale.ROOT, "generating %d classes x (%d train + %d val) images in %s%n", classes,
                        trainPerClass, valPerClass, data);
                SyntheticImageNet.generate(data, classes, trainPerClass, valPerClass, 0);
            }
            List<String> all = new ArrayList<>(List.of("data.root='" + data + "'", "model.num_classes=" + classes));
            all.addAll(overrides);
            TrainConfig cfg = loadConfig(all);

            long planned = Trainer.builder(cfg, run).build().plannedSteps();
            // half-way, in the middle of an epoch, so that the resume starts mid-epoch
            long half = Math.max(1, planned / 2 + planned / (4L * cfg.train().epochs()));
            System.out.println("training; the run will be interrupted after step " + half + " of " + planned
                    + " and resumed");
            Trainer.Summary interrupted = SaveOnStop.run(Trainer.builder(cfg, run).optStopAfterStep(half).build());
            if (interrupted.outcome() == Trainer.Outcome.STOPPED) {
                System.out.println("interrupted after step " + half + " (checkpoint " + interrupted.lastCheckpoint()
                        + "); resuming from the run folder");
            }
            Trainer.Summary done = SaveOnStop.run(Trainer.builder(cfg, run).build());
            if (done.outcome() != Trainer.Outcome.FINISHED) {
                throw new UserError("the demo run stopped before its end", 1);
            }
            Map<String, Accuracy> evaluated = evaluate(cfg, run);
            RunPlots.write(run, output.resolve("plots"));
            summarize(cfg, done, evaluated, (System.nanoTime() - start) / 1e9);
        } catch (IOException e) {
            throw new UserError("demo failed writing " + output + ": " + e.getMessage(), 5);
        }
    }

    private TrainConfig loadConfig(List<String> all) throws IOException {
        if (config != null) {
            return TrainConfig.load(config, all);
        }
        Path builtIn = Files.createTempFile("demo", ".yaml");
        try (InputStream in = DemoCommand.class.getResourceAsStream("demo.yaml")) {
            Files.write(builtIn, in.readAllBytes());
            return TrainConfig.load(builtIn, all);
        } finally {
            Files.deleteIfExists(builtIn);
        }
    }

    /** Evaluates the run's latest checkpoint as {@code eval} would, and checks it against the trainer's numbers. */
    private Map<String, Accuracy> evaluate(TrainConfig cfg, Path run) {
        try (NDManager manager = NDManager.newBaseManager()) {
            Checkpoint.Contents c = Checkpoint.read(CheckpointStore.resolve(run), manager);
            Map<String, MobileViT> models = new LinkedHashMap<>();
            models.put("raw", c.model(Checkpoint.Weights.RAW, manager));
            models.put("ema", c.model(Checkpoint.Weights.EMA, manager));
            ImageFolder val = ImageFolder.open(Path.of(cfg.data().root()).resolve("val"));
            Evaluator.Result r;
            try (EvalLoader loader = new EvalLoader(val, new EvalTransform(cfg.eval().resize(), cfg.eval().crop(),
                    cfg.data().interpolation()), cfg.eval().batchSize(), cfg.data().workers(), cfg.data().prefetch())) {
                r = Evaluator.evaluate(loader, models, cfg.model().numClasses(), manager, null,
                        Evaluator.Progress.NONE);
            }
            List<EpochMetrics.Row> epochs = EpochMetrics.fromState(c.state());
            double trainerTop1 = epochs.get(epochs.size() - 1).top1();
            double trainerEma = epochs.get(epochs.size() - 1).emaTop1();
            System.out.printf(Locale.ROOT, "evaluation of %s: top-1 %.2f (EMA %.2f), top-5 %.2f (EMA %.2f); the trainer's"
                    + " last validation: top-1 %.2f (EMA %.2f)%s%n", c.dir(), r.accuracy().get("raw").top1(),
                    r.accuracy().get("ema").top1(), r.accuracy().get("raw").top5(), r.accuracy().get("ema").top5(),
                    trainerTop1, trainerEma, r.accuracy().get("raw").top1() == trainerTop1
                            && r.accuracy().get("ema").top1() == trainerEma ? " (equal)" : " (DIFFERENT)");
            return r.accuracy();
        }
    }

    private void summarize(TrainConfig cfg, Trainer.Summary done, Map<String, Accuracy> evaluated, double seconds)
            throws IOException {
        StringBuilder s = new StringBuilder();
        s.append(String.format(Locale.ROOT, "MobileViT-%s demo on %d generated classes, %d epochs, %.0f s%n",
                cfg.model().variant(), cfg.model().numClasses(), cfg.train().epochs(), seconds));
        done.epochs().forEach(r -> s.append(String.format(Locale.ROOT,
                "epoch %2d  loss %.4f  top-1 %6.2f  EMA top-1 %6.2f%n", r.epoch(), r.trainLoss(), r.top1(), r.emaTop1())));
        s.append(String.format(Locale.ROOT, "final: top-1 %.2f, top-5 %.2f (raw); top-1 %.2f, top-5 %.2f (EMA)%n",
                evaluated.get("raw").top1(), evaluated.get("raw").top5(), evaluated.get("ema").top1(),
                evaluated.get("ema").top5()));
        s.append("run folder: ").append(output.resolve("run")).append('\n');
        s.append("plots: ").append(output.resolve("plots")).append(" (loss.png, lr.png, top1.png)\n");
        AtomicFiles.writeString(output.resolve("summary.txt"), s.toString());
        System.out.print(s);
    }
}
