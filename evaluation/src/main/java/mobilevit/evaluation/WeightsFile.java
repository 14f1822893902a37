package mobilevit.evaluation;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;

import mobilevit.data.AtomicFiles;
import mobilevit.evaluation.weights.SafetensorsFile;
import mobilevit.evaluation.weights.TorchSaveFile;
import mobilevit.model.MobileViT;
import mobilevit.model.StateDict;
import mobilevit.model.UserError;
import mobilevit.model.Variant;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.regex.Pattern;

/** Weight files: safetensors or torch.save, read with a clear error naming the file; safetensors written atomically. */
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

    /** Writes named tensors as safetensors, atomically. */
    public static void write(NDList tensors, Path file) throws IOException {
        AtomicFiles.write(file, out -> tensors.encode(out, NDList.Encoding.SAFETENSORS));
    }

    /**
     * Builds a model of {@code variant} in {@code manager} and loads {@code file} into it (CVNets
     * or Hugging Face names).
     *
     * @throws UserError if the file is unreadable
     * @throws IllegalArgumentException if it does not fit the variant
     */
    public static MobileViT loadModel(Path file, Variant variant, int numClasses, NDManager manager) {
        MobileViT model = MobileViT.builder().setVariant(variant).optNumClasses(numClasses)
                .buildInitialized(manager, 0);
        try (NDManager scratch = manager.newSubManager()) {
            StateDict.load(model, read(file, scratch), "weights file " + file);
        }
        return model;
    }
}
