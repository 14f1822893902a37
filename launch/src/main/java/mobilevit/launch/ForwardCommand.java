package mobilevit.launch;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;

import mobilevit.core.AtomicFiles;
import mobilevit.core.UserError;
import mobilevit.model.Autograd;
import mobilevit.model.Npy;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Path;

/** {@code forward}: eval-mode logits of an NCHW float32 .npy input. */
@Command(name = "forward", mixinStandardHelpOptions = true,
        description = "Write the eval-mode logits of an NCHW float32 .npy array (BGR, [0,1]) as float32 .npy.")
final class ForwardCommand implements Runnable {

    @Mixin
    ModelOptions model;

    @Mixin
    WeightsOption weights;

    @Option(names = "--input", required = true, description = "float32 .npy of shape [N,3,H,W], H and W >= 32")
    Path input;

    @Option(names = "--output", required = true, description = "where to write the logits [N,classes]")
    Path output;

    @Mixin
    DeviceOption device;

    @Override
    public void run() {
        int classes = model.classes();
        try (NDManager manager = NDManager.newBaseManager(device.device())) {
            Autograd.setEnabled(false);
            NDArray x = readInput(manager);
            NDArray logits = Args.model(weights.file, model.variant(), classes, manager)
                    .forward(new ParameterStore(manager, false), new NDList(x), false).singletonOrThrow();
            NDArray cpuLogits = logits.toDevice(Device.cpu(), false);
            AtomicFiles.write(output, out -> Npy.write(cpuLogits, out));
            System.out.println("wrote " + output + " " + logits.getShape());
        } catch (IOException e) {
            throw new UserError("cannot write " + output + ": " + e.getMessage(), 1);
        }
    }

    private NDArray readInput(NDManager manager) {
        NDArray x = Args.npy("input", input, manager).toDevice(manager.getDevice(), false);
        Shape s = x.getShape();
        if (x.getDataType() != DataType.FLOAT32 || s.dimension() != 4 || s.get(1) != 3
                || s.get(0) < 1 || s.get(2) < 32 || s.get(3) < 32) {
            throw new UserError("input " + input + " is " + x.getDataType().asNumpy() + " " + s
                    + "; expected float32 [N,3,H,W] with N >= 1 and H, W >= 32");
        }
        return x;
    }
}
