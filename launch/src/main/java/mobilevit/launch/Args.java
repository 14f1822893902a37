package mobilevit.launch;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

import mobilevit.core.UserError;
import mobilevit.evaluation.OnnxFile;
import mobilevit.model.Devices;
import mobilevit.model.MobileViT;
import mobilevit.model.Npy;
import mobilevit.model.Variant;
import mobilevit.model.WeightsFile;
import mobilevit.model.WeightsMismatchException;
import mobilevit.trainer.ModelSection;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Function;

/** Checks of command-line values that end in a one-line {@link UserError}. */
final class Args {

    private Args() {}

    /**
     * A choice of the command line ({@code Variant::parse}, {@code Precision::parse}, ...); the
     * parser's message becomes the one-line error.
     */
    static <T> T choice(Function<String, T> parse, String text) {
        try {
            return parse.apply(text);
        } catch (IllegalArgumentException e) {
            throw new UserError(e.getMessage());
        }
    }

    /** Parses a device list ({@code cpu}, {@code gpu0-7}, ...), refusing GPUs this machine lacks. */
    static List<Device> devices(String spec) {
        try {
            return Devices.parse(spec);
        } catch (IllegalArgumentException e) {
            throw new UserError(e.getMessage());
        }
    }

    /** Parses a single device ({@code cpu} or {@code gpuN}). */
    static Device device(String spec) {
        List<Device> list = devices(spec);
        if (list.size() != 1) {
            throw new UserError("expected one device, got '" + spec + "' (" + list.size() + " devices)");
        }
        return list.get(0);
    }

    /** A {@code --variant} or {@code --classes} given with {@code --checkpoint} must be the checkpoint's: it is not an override. */
    static void sameAsCheckpoint(String variant, Integer classes, ModelSection model) {
        if (variant != null && choice(Variant::parse, variant) != model.variant()) {
            throw new UserError("--variant " + variant + " does not match the checkpoint's model.variant "
                    + model.variant().id() + "; leave --variant out with --checkpoint");
        }
        if (classes != null && classes != model.numClasses()) {
            throw new UserError("--classes " + classes + " does not match the checkpoint's model.num_classes "
                    + model.numClasses() + "; leave --classes out with --checkpoint");
        }
    }

    /** A {@code --variant} or {@code --classes} given with an ONNX file must be the file's (as far as it says). */
    static void sameAsOnnx(String variant, Integer classes, OnnxFile onnx) {
        if (variant != null) {
            Variant v = choice(Variant::parse, variant);
            onnx.variant().filter(recorded -> choice(Variant::parse, recorded) != v).ifPresent(recorded -> {
                throw new UserError("--variant " + variant + " does not match the variant " + recorded + " of "
                        + onnx.file() + "; leave --variant out with an ONNX file");
            });
        }
        if (classes != null && classes != onnx.classes()) {
            throw new UserError("--classes " + classes + " does not match the " + onnx.classes() + " classes of "
                    + onnx.file() + "; leave --classes out with an ONNX file");
        }
    }

    static void positive(String option, long value) {
        if (value <= 0) {
            throw new UserError(option + " must be positive, got " + value);
        }
    }

    static void checkImageSize(int h, int w) {
        if (h < 32 || w < 32) {
            throw new UserError("image size must be at least 32x32, got " + h + "x" + w);
        }
    }

    /** A model of {@code variant} loaded from a weights file: safetensors or torch.save, CVNets or Hugging Face names. */
    static MobileViT model(Path weights, Variant variant, int classes, NDManager manager) {
        try {
            return WeightsFile.loadModel(existingFile("weights file", weights), variant, classes, manager);
        } catch (WeightsMismatchException e) {
            throw new UserError(e.getMessage());
        }
    }

    /** An .npy file's array in {@code manager}; {@code what} names it in errors. */
    static NDArray npy(String what, Path file, NDManager manager) {
        existingFile(what, file);
        try (InputStream in = Files.newInputStream(file)) {
            return Npy.read(manager, in);
        } catch (IOException e) {
            throw new UserError("cannot read " + what + " " + file + ": " + e.getMessage());
        }
    }

    static Path existingFile(String what, Path file) {
        if (!Files.isRegularFile(file)) {
            throw new UserError(what + " " + file + (Files.exists(file) ? " is not a file" : " does not exist"));
        }
        if (!Files.isReadable(file)) {
            throw new UserError(what + " " + file + " is not readable");
        }
        return file;
    }
}
