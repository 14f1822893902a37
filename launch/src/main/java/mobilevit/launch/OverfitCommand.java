package mobilevit.launch;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;

import mobilevit.core.UserError;
import mobilevit.model.MobileViT;
import mobilevit.model.Precision;
import mobilevit.model.StateDict;
import mobilevit.model.WeightsFile;
import mobilevit.model.WeightsMismatchException;
import mobilevit.trainer.step.ReplicaGroup;
import mobilevit.trainer.step.TrainStep;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/** {@code overfit}: N training steps on one fixed batch, printing the loss before each step. */
@Command(name = "overfit", mixinStandardHelpOptions = true,
        description = "Train on one fixed batch (dropout off, BatchNorm in train mode) and print the loss "
                + "before each step; a debugging tool for comparing with other implementations.")
final class OverfitCommand implements Runnable {

    @Mixin
    ModelOptions model;

    @Mixin
    WeightsOption weights;

    @Option(names = "--input", required = true, description = "float32 .npy [N,3,H,W]")
    Path input;

    @Option(names = "--labels", required = true, description = "integer .npy [N] of class indices")
    Path labels;

    @Option(names = "--steps", required = true, description = "number of AdamW steps")
    int steps;

    @Option(names = "--lr", defaultValue = "0.002", description = "learning rate (default ${DEFAULT-VALUE})")
    double lr;

    @Option(names = "--weight-decay", defaultValue = "0.01", description = "AdamW weight decay (default ${DEFAULT-VALUE})")
    double weightDecay;

    @Option(names = "--label-smoothing", defaultValue = "0.1", description = "(default ${DEFAULT-VALUE})")
    double labelSmoothing;

    @Mixin
    DeviceOption device;

    @Option(names = "--precision", defaultValue = "fp32",
            description = "fp32, or fp16 (float16 compute, float32 master weights, dynamic loss scaling) (default ${DEFAULT-VALUE})")
    String precision;

    @Option(names = "--output", description = "write the final weights here (safetensors, CVNets names)")
    Path output;

    @Override
    public void run() {
        Args.positive("--steps", steps);
        int classes = model.classes();
        if (!(lr > 0)) {
            throw new UserError("--lr must be positive, got " + lr);
        }
        MobileViT.Builder builder = MobileViT.builder().setVariant(model.variant()).optNumClasses(classes)
                .optClassifierDropout(0).optTransformerDropout(0);
        try (NDManager manager = NDManager.newBaseManager();
                TrainStep step = TrainStep.builder(List.of(device.device()), builder)
                        .optLabelSmoothing(labelSmoothing).optAdamW(0.9, 0.999, 1e-8, weightDecay)
                        .optPrecision(Args.choice(Precision::parse, precision)).build()) {
            NDArray x = Args.npy("input", input, manager);
            NDArray y = Args.npy("labels", labels, manager);
            if (x.getDataType() != DataType.FLOAT32 || x.getShape().dimension() != 4 || x.getShape().get(1) != 3) {
                throw new UserError("input " + input + " is " + x.getDataType().asNumpy() + " " + x.getShape()
                        + "; expected float32 [N,3,H,W]");
            }
            if (!y.getDataType().isInteger() || y.getShape().dimension() != 1 || y.size() != x.getShape().get(0)) {
                throw new UserError("labels " + labels + " are " + y.getDataType().asNumpy() + " " + y.getShape()
                        + "; expected integers [" + x.getShape().get(0) + "]");
            }
            NDArray y64 = y.toType(DataType.INT64, false);
            try {
                WeightsFile.load(step.replicas().master(), Args.existingFile("weights file", weights.file));
            } catch (WeightsMismatchException e) {
                throw new UserError(e.getMessage());
            }
            step.adoptMasterWeights();
            ReplicaGroup.ShardSource batch = (r, scope) -> new NDList(x.toDevice(scope.getDevice(), true),
                    y64.toDevice(scope.getDevice(), true));
            for (int i = 0; i < steps; i++) {
                long applied = step.optimizer().steps();
                double loss = step.train(batch, lr).loss();
                // the loss before update i + 1; under fp16 the loss scale, and whether the step was skipped
                String scaling = step.lossScaler() == null ? "" : String.format(Locale.ROOT, "  loss scale %.0f%s",
                        step.lossScaler().scale(), step.optimizer().steps() == applied ? "  (skipped)" : "");
                System.out.printf(Locale.ROOT, "step %d loss %.7f%s%n", i + 1, loss, scaling);
            }
            if (output != null) {
                try (NDManager scratch = manager.newSubManager()) {
                    WeightsFile.write(StateDict.export(step.replicas().master(), scratch), output);
                }
                System.out.println("wrote " + output);
            }
        } catch (IOException e) {
            throw new UserError("cannot write " + output + ": " + e.getMessage(), 1);
        }
    }
}
