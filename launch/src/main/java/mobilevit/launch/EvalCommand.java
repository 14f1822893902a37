package mobilevit.launch;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Block;
import ai.djl.repository.zoo.ZooModel;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonObject;

import mobilevit.core.AtomicFiles;
import mobilevit.core.IoFailures;
import mobilevit.core.UserError;
import mobilevit.data.dataset.ImageFolder;
import mobilevit.data.pipeline.EvalLoader;
import mobilevit.data.pipeline.EvalTransform;
import mobilevit.data.pipeline.Interpolation;
import mobilevit.evaluation.Accuracy;
import mobilevit.evaluation.Evaluator;
import mobilevit.evaluation.OnnxFile;
import mobilevit.model.Variant;
import mobilevit.trainer.checkpoint.Checkpoint;
import mobilevit.trainer.checkpoint.CheckpointStore;
import mobilevit.trainer.checkpoint.ClassNames;
import mobilevit.trainer.config.TrainConfig;

import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** {@code eval}: top-1/top-5 of a checkpoint, of released weights or of an exported ONNX file over a validation folder. */
@Command(name = "eval", mixinStandardHelpOptions = true,
        description = "Top-1/top-5 over a validation folder (shorter side 288, centre crop 256, BGR, [0,1]);"
                + " --weights without --variant are read as xxs.")
final class EvalCommand implements Runnable {

    @Option(names = "--data", required = true, description = "folder with val/ (or the validation folder itself)")
    Path data;

    @Mixin
    CheckpointOrWeights source;

    @ArgGroup(exclusive = true)
    Which which;

    static final class Which {
        @Option(names = "--ema", description = "only the EMA weights of the checkpoint")
        boolean ema;

        @Option(names = "--raw", description = "only the raw weights of the checkpoint")
        boolean raw;
    }

    @Option(names = "--interpolation", description = "bilinear (OpenCV, CVNets v0.1) or bilinear-antialias (PIL, Hugging Face)")
    String interpolation;

    @Option(names = "--batch-size", defaultValue = "100", description = "(default ${DEFAULT-VALUE})")
    int batchSize;

    @Option(names = "--workers", defaultValue = "4", description = "decoding threads (default ${DEFAULT-VALUE})")
    int workers;

    @Mixin
    DeviceOption device;

    @Option(names = "--report", paramLabel = "FILE", description = "JSON report: per-class accuracy, skipped images"
            + " (default with --checkpoint: eval-<checkpoint>.json in its run folder; with --weights: none)")
    Path report;

    @Override
    public void run() {
        Args.positive("--batch-size", batchSize);
        Args.positive("--workers", workers);
        Path split = Files.isDirectory(data.resolve("val")) ? data.resolve("val") : data;
        if (!Files.isDirectory(data)) {
            throw new UserError("data folder " + data + (Files.exists(data) ? " is not a folder" : " does not exist"));
        }
        ImageFolder folder = ImageFolder.open(split);
        ZooModel<NDList, NDList> onnxModel = null;
        try (NDManager manager = NDManager.newBaseManager(device.device())) {
            Map<String, Block> models = new LinkedHashMap<>();
            int numClasses;
            int resize = EvalTransform.PAPER_RESIZE;
            int crop = EvalTransform.PAPER_CROP;
            Interpolation interpolationMode = Interpolation.BILINEAR;
            source.checkpointOnly(which, "--ema and --raw");
            if (source.checkpoint() != null) {
                Path checkpointDir = CheckpointStore.resolve(source.checkpoint());
                Checkpoint.Contents c = Checkpoint.read(checkpointDir, manager);
                if (report == null) { // beside the run's metrics, not in whatever folder eval was started from
                    report = checkpointDir.toAbsolutePath().getParent().resolveSibling("eval-"
                            + checkpointDir.getFileName() + ".json");
                }
                TrainConfig cfg = c.config();
                numClasses = cfg.model().numClasses();
                source.sameAsCheckpoint(cfg.model());
                checkClasses(c, folder, split);
                resize = cfg.eval().resize();
                crop = cfg.eval().crop();
                interpolationMode = cfg.data().interpolation();
                if (which == null || which.ema) {
                    models.put("ema", c.model(Checkpoint.Weights.EMA, manager));
                }
                if (which == null || which.raw) {
                    models.put("raw", c.model(Checkpoint.Weights.RAW, manager));
                }
            } else if (OnnxFile.isOnnx(source.weights())) {
                OnnxFile onnx = OnnxFile.read(source.weights());
                source.sameAsOnnx(onnx);
                numClasses = onnx.classes();
                resize = onnx.resize();
                crop = onnx.crop();
                onnxModel = onnx.load(0);
                models.put("onnx", onnxModel.getBlock());
            } else {
                numClasses = source.classes();
                models.put("weights", Args.model(source.weights(), source.variant().orElse(Variant.XXS), numClasses,
                        manager));
            }
            if (folder.classes().size() > numClasses) {
                throw new UserError(split + " has " + folder.classes().size() + " classes but the model has "
                        + numClasses);
            }
            if (interpolation != null) {
                interpolationMode = Args.choice(Interpolation::parse, interpolation);
            }
            Evaluator.Result result;
            ProgressBar bar = new ProgressBar("eval");
            try (EvalLoader loader = new EvalLoader(folder, new EvalTransform(resize, crop, interpolationMode),
                    batchSize, workers, 4)) {
                result = Evaluator.evaluate(loader, models, numClasses, manager, null, bar::update);
            }
            bar.finish();
            printTable(result);
            writeReport(result, folder, split);
        } finally {
            if (onnxModel != null) {
                onnxModel.close();
            }
        }
    }

    /** The folder's classes must be the checkpoint's (or its first ones): labels are the folders' sorted positions. */
    private static void checkClasses(Checkpoint.Contents c, ImageFolder folder, Path split) {
        List<String> trained = c.classNames().orElse(null);
        if (trained == null) {
            return; // written before checkpoints kept their classes
        }
        List<String> here = folder.classes();
        ClassNames.firstDifference(trained.subList(0, Math.min(trained.size(), here.size())), "the checkpoint", here,
                split.toString()).ifPresent(difference -> {
                    throw new UserError(split + " does not have the classes the checkpoint " + c.dir()
                            + " was trained on: " + difference + "; evaluate it on a folder of its classes");
                });
    }

    private void printTable(Evaluator.Result r) {
        System.out.printf(Locale.ROOT, "%-8s %8s %8s %8s %10s%n", "weights", "top-1", "top-5", "images", "images/s");
        r.accuracy().forEach((name, a) -> System.out.printf(Locale.ROOT, "%-8s %8.2f %8.2f %8d %10.1f%n", name, a.top1(),
                a.top5(), a.count(), r.imagesPerSecond()));
        if (r.skipped() > 0) {
            System.out.println(r.skipped() + " unreadable image(s) skipped ("
                    + (report != null ? "listed in the report)" : "give --report FILE to list them)"));
        }
    }

    private void writeReport(Evaluator.Result r, ImageFolder folder, Path split) {
        if (report == null) {
            return;
        }
        JsonObject json = new JsonObject();
        json.addProperty("data", split.toString());
        json.addProperty("source", source.path().toString());
        json.addProperty("images_per_second", r.imagesPerSecond());
        json.addProperty("skipped", r.skipped());
        JsonObject results = new JsonObject();
        for (Map.Entry<String, Accuracy> e : r.accuracy().entrySet()) {
            results.add(e.getKey(), e.getValue().toJson(folder.classes()));
        }
        json.add("results", results);
        try {
            AtomicFiles.writeString(report, new GsonBuilder().setPrettyPrinting().create().toJson(json));
        } catch (IOException e) {
            throw new UserError("cannot write the report: " + IoFailures.describe(e), 5);
        }
        System.out.println("report: " + report);
    }
}
