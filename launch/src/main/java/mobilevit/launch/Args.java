package mobilevit.launch;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

import mobilevit.core.UserError;
import mobilevit.model.Devices;
import mobilevit.model.MobileViT;
import mobilevit.model.Npy;
import mobilevit.model.Variant;
import mobilevit.model.WeightsFile;
import mobilevit.model.WeightsMismatchException;

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
