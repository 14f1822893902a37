package mobilevit.launch;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;

import mobilevit.core.IoFailures;
import mobilevit.core.UserError;
import mobilevit.data.pipeline.EvalTransform;
import mobilevit.export.ExportMetadata;
import mobilevit.export.InputSize;
import mobilevit.export.OnnxExport;
import mobilevit.model.MobileViT;
import mobilevit.model.Variant;
import mobilevit.trainer.checkpoint.Checkpoint;
import mobilevit.trainer.checkpoint.CheckpointStore;
import mobilevit.trainer.config.TrainConfig;

import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** {@code export}: a checkpoint's or a weights file's model as an ONNX file (see docs/export.md). */
@Command(name = "export", mixinStandardHelpOptions = true,
        description = "Write the eval-mode model as ONNX (opset 17): input pixels [N,3,H,W] float32 BGR in [0,1],"
                + " output logits [N,classes], the batch N free; --weights without --variant are read as xxs.")
final class ExportCommand implements Runnable {

    @Mixin
    CheckpointOrWeights source;

    @ArgGroup(exclusive = true)
    Which which;

    static final class Which {
        @Option(names = "--ema", description = "the EMA weights of the checkpoint (the default)")
        boolean ema;

        @Option(names = "--raw", description = "the raw weights of the checkpoint")
        boolean raw;
    }

    @Option(names = "--output", required = true, description = "the .onnx file to write")
    Path output;

    @Option(names = "--size", arity = "2", paramLabel = "N", description = "input height and width (default 256 256)")
    int[] size;

    @Option(names = "--free-size", description = "height and width free in the file: any size of at least 32x32")
    boolean freeSize;

    @Override
    public void run() {
        if (freeSize && size != null) {
            throw new UserError("--size and --free-size exclude each other");
        }
        InputSize inputSize = freeSize ? InputSize.FREE
                : size == null ? InputSize.fixed(EvalTransform.PAPER_CROP, EvalTransform.PAPER_CROP)
                : InputSize.fixed(size[0], size[1]);
        checkWritable(output);
        try (NDManager manager = NDManager.newBaseManager(Device.cpu())) {
            MobileViT model;
            ExportMetadata metadata;
            source.checkpointOnly(which, "--ema and --raw");
            if (source.checkpoint() != null) {
                Checkpoint.Contents c = Checkpoint.read(CheckpointStore.resolve(source.checkpoint()), manager);
                TrainConfig cfg = c.config();
                source.sameAsCheckpoint(cfg.model());
                Checkpoint.Weights weights = which != null && which.raw ? Checkpoint.Weights.RAW : Checkpoint.Weights.EMA;
                model = c.model(weights, manager);
                metadata = ExportMetadata.of(cfg.model().variant(), model.numClasses(), cfg.eval().resize(),
                        cfg.eval().crop(), c.weightsFile(weights));
            } else {
                int numClasses = source.classes();
                Variant v = source.variant().orElse(Variant.XXS);
                model = Args.model(source.weights(), v, numClasses, manager);
                metadata = ExportMetadata.of(v, numClasses, EvalTransform.PAPER_RESIZE, EvalTransform.PAPER_CROP,
                        source.weights());
            }
            OnnxExport.write(model, inputSize, metadata, output);
            System.out.println("wrote " + output + " (MobileViT-" + model.architecture().name() + ", "
                    + model.numClasses() + " classes, " + inputSize + ", source sha256 "
                    + metadata.sourceSha256() + ")");
        } catch (IOException e) {
            throw new UserError("cannot write " + output + ": " + IoFailures.describe(e), 5);
        }
    }

    /**
     * Refuses, before any work, an output that cannot be written: a folder, or under a path whose
     * nearest existing part is a file or a read-only folder (missing folders are created).
     */
    private static void checkWritable(Path output) {
        if (Files.isDirectory(output)) {
            throw new UserError("--output " + output + " is a folder");
        }
        Path existing = output.toAbsolutePath().getParent();
        while (!Files.exists(existing)) {
            existing = existing.getParent();
        }
        if (!Files.isDirectory(existing)) {
            throw new UserError("--output " + output + ": " + existing + " is not a folder");
        }
        if (!Files.isWritable(existing)) {
            throw new UserError("--output " + output + ": folder " + existing + " is not writable");
        }
    }
}
