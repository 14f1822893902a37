package mobilevit.evaluation;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;

import mobilevit.data.AtomicFiles;
import mobilevit.model.MobileViT;
import mobilevit.model.StateDict;
import mobilevit.model.Variant;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/** Safetensors weight files: read with a clear error naming the file, written atomically. */
public final class WeightsFile {

    private WeightsFile() {}

    /**
     * Reads every tensor of a safetensors file into {@code manager}.
     *
     * @throws IllegalArgumentException naming the file when it is missing, unreadable or not
     *     safetensors
     */
    public static NDList read(Path file, NDManager manager) {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException("weights file " + file + " does not exist");
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read weights file " + file + ": " + e.getMessage());
        }
        if (bytes.length < 10 || bytes[8] != '{'
                || ByteBuffer.wrap(bytes, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong() > bytes.length - 8) {
            throw new IllegalArgumentException(file + " is not a safetensors file (" + bytes.length + " bytes)");
        }
        try {
            return NDList.decode(manager, bytes);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException(file + " is not a valid safetensors file: " + e.getMessage());
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
     * @throws IllegalArgumentException if the file is unreadable or does not fit the variant
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
