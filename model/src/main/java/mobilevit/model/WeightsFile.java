package mobilevit.model;

import ai.djl.Device;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;

import mobilevit.core.AtomicFiles;
import mobilevit.core.UserError;
import mobilevit.model.weights.SafetensorsFile;
import mobilevit.model.weights.TorchSaveFile;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.regex.Pattern;

/**
 * Weights files (safetensors, or torch.save read without running its pickle; written as
 * safetensors) and the one way a
 * model gets their weights: {@link #loadModel} builds a model and {@link #load} fills one that
 * exists, both through {@link StateDict#load}, so every command and {@code ImageClassifier} accept
 * the same files under the same names (CVNets or Hugging Face).
 */
public final class WeightsFile {

    /** Names that PyTorch's own weight files go by. */
    private static final Pattern TORCH_SUFFIX = Pattern.compile("\\.(pt|pth|bin|ckpt)$");

    private WeightsFile() {}

    /**
     * Reads every tensor of a weights file into {@code manager}: safetensors, or a {@code torch.save}
     * zip archive (a {@code .pt} or {@code pytorch_model.bin}) read without executing its pickle
     * ({@link TorchSaveFile}). The format is recognised from the file's first bytes.
     *
     * @throws UserError naming the file when it is missing, unreadable, malformed or refused
     */
    public static NDList read(Path file, NDManager manager) {
        try {
            return parse(file, manager);
        } catch (IllegalArgumentException e) { // the parsers' word on the file
            throw new UserError(e.getMessage());
        }
    }

    private static NDList parse(Path file, NDManager manager) {
        byte[] head = new byte[8];
        int n;
        try (InputStream in = Files.newInputStream(file)) {
            n = in.readNBytes(head, 0, head.length);
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException("weights file " + file + " does not exist");
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read weights file " + file + ": " + e.getMessage());
        }
        if (TorchSaveFile.isZip(head)) {
            return TorchSaveFile.read(file, manager);
        }
        if (TorchSaveFile.isLegacy(head)) {
            throw TorchSaveFile.legacyFormat(file);
        }
        String name = file.getFileName().toString();
        if (TORCH_SUFFIX.matcher(name).find()) {
            throw new IllegalArgumentException(file + " is not a torch.save file (" + (n < 4 ? n + " bytes" : "it does"
                    + " not start like a zip archive") + ")");
        }
        try {
            return SafetensorsFile.read(file, Files.readAllBytes(file), manager);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read weights file " + file + ": " + e.getMessage());
        }
    }

    /** Writes named tensors as safetensors, atomically (temp file, fsync, rename). */
    public static void write(NDList tensors, Path file) throws IOException {
        AtomicFiles.write(file, out -> tensors.encode(out, NDList.Encoding.SAFETENSORS));
    }

    /**
     * Copies {@code file}'s weights into {@code model} (CVNets or Hugging Face names), read through
     * a scratch manager on the CPU and converted to each parameter's type and device.
     *
     * @throws UserError if the file is unreadable
     * @throws WeightsMismatchException listing every difference when it does not fit the model
     */
    public static void load(MobileViT model, Path file) {
        try (NDManager scratch = NDManager.newBaseManager(Device.cpu())) {
            StateDict.load(model, read(file, scratch), "weights file " + file);
        }
    }

    /**
     * Builds a model of {@code variant} in {@code manager} and loads {@code file} into it.
     *
     * @throws UserError if the file is unreadable
     * @throws WeightsMismatchException if it does not fit the variant
     */
    public static MobileViT loadModel(Path file, Variant variant, int numClasses, NDManager manager) {
        MobileViT model = MobileViT.builder().setVariant(variant).optNumClasses(numClasses)
                .buildInitialized(manager, 0);
        load(model, file);
        return model;
    }
}
