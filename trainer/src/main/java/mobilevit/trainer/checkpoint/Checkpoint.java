package mobilevit.trainer.checkpoint;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;

import mobilevit.core.AtomicFiles;
import mobilevit.core.FileTrees;
import mobilevit.core.Sha256;
import mobilevit.model.MobileViT;
import mobilevit.model.StateDict;
import mobilevit.model.WeightsFile;
import mobilevit.trainer.config.TrainConfig;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * One checkpoint: a folder with the raw and EMA weights and the optimizer moments (safetensors),
 * the training state and the resolved config, and a manifest with each file's size and SHA-256.
 * It is written under a temporary name, every file forced to disk, then renamed into place, so a
 * folder under a checkpoint name is always complete; damage after that is caught by the manifest.
 */
public final class Checkpoint {

    static final String RAW = "model.safetensors";
    static final String EMA = "ema.safetensors";
    static final String OPTIMIZER = "optimizer.safetensors";
    public static final String STATE = "state.json";
    public static final String CONFIG = "config.yaml";
    public static final String MANIFEST = "manifest.json";
    private static final List<String> FILES = List.of(RAW, EMA, OPTIMIZER, STATE, CONFIG);

    public static final Gson GSON =
            new GsonBuilder().setPrettyPrinting().serializeSpecialFloatingPointValues().create();

    /** The two sets of weights a checkpoint holds. */
    public enum Weights {
        /** the weights the optimizer updates */
        RAW,
        /** their exponential moving average */
        EMA
    }

    /**
     * The tensors of a checkpoint's three weight files, as the parts of a run hand them over
     * ({@code TrainStep.state} in {@code step}); state.json's members come from each part that owns them.
     */
    public record Tensors(NDList raw, NDList ema, NDList optimizer) {}

    /** What a checkpoint holds once read. */
    public record Contents(Path dir, NDList raw, NDList ema, NDList optimizer, JsonObject state, String configYaml) {

        /**
         * Copies the raw or the EMA weights into {@code model}.
         *
         * @throws mobilevit.model.WeightsMismatchException naming the file when they do not fit
         */
        public void loadWeights(MobileViT model, Weights which) {
            boolean ema = which == Weights.EMA;
            StateDict.load(model, ema ? ema() : raw(), dir.resolve(ema ? EMA : RAW).toString());
        }

        /** The names of the classes it was trained on, in label order; empty when it was written before they were kept. */
        public Optional<List<String>> classNames() {
            try {
                return TrainData.classes(state);
            } catch (IllegalArgumentException e) {
                throw new CorruptCheckpointException(dir + ": " + e.getMessage());
            }
        }

        /** The file of the raw or the EMA weights (what {@code predict --checkpoint} loads). */
        public Path weightsFile(Weights which) {
            return dir.resolve(which == Weights.EMA ? EMA : RAW);
        }

        /** The run's configuration, as the checkpoint saved it. */
        public TrainConfig config() {
            return TrainConfig.fromYaml(configYaml);
        }

        /**
         * A model of the run's variant and classes in {@code manager}, holding the raw or the EMA
         * weights (what {@code eval --checkpoint} and the demo evaluate).
         */
        public MobileViT model(Weights which, NDManager manager) {
            MobileViT model = config().model().builder().buildInitialized(manager, 0);
            loadWeights(model, which);
            return model;
        }
    }

    private Checkpoint() {}

    /** Writes a complete checkpoint folder {@code dir} (which must not exist yet). */
    public static void write(Path dir, Tensors tensors, JsonObject state, String configYaml) throws IOException {
        Path parent = dir.toAbsolutePath().getParent();
        Files.createDirectories(parent);
        Path tmp = AtomicFiles.newTempDirectory(parent, "." + dir.getFileName() + ".");
        try {
            WeightsFile.write(tensors.raw(), tmp.resolve(RAW));
            WeightsFile.write(tensors.ema(), tmp.resolve(EMA));
            WeightsFile.write(tensors.optimizer(), tmp.resolve(OPTIMIZER));
            AtomicFiles.writeString(tmp.resolve(STATE), GSON.toJson(state));
            AtomicFiles.writeString(tmp.resolve(CONFIG), configYaml);
            JsonObject files = new JsonObject();
            for (String f : FILES) {
                JsonObject entry = new JsonObject();
                entry.addProperty("bytes", Files.size(tmp.resolve(f)));
                entry.addProperty("sha256", Sha256.of(tmp.resolve(f)));
                files.add(f, entry);
            }
            JsonObject manifest = new JsonObject();
            manifest.add("files", files);
            AtomicFiles.writeString(tmp.resolve(MANIFEST), GSON.toJson(manifest));
            // A folder of this name is left by a run that died before pointing "last" at it (or is
            // a damaged one the run fell back past); the replay that led here rewrote the same
            // state, so it is replaced: moved aside first and deleted once the new one is in place.
            Path aside = dir.resolveSibling("." + dir.getFileName() + ".removed");
            boolean replacing = Files.exists(dir);
            if (replacing) {
                FileTrees.delete(aside);
                Files.move(dir, aside, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
            }
            Files.move(tmp, dir, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
            AtomicFiles.forceDirectory(parent);
            if (replacing) {
                FileTrees.delete(aside);
            }
        } finally {
            FileTrees.delete(tmp);
        }
    }

    /**
     * Verifies every file against the manifest, then reads the checkpoint.
     *
     * @throws CorruptCheckpointException naming the folder and the damaged file
     */
    public static Contents read(Path dir, NDManager manager) {
        verify(dir);
        try {
            JsonObject state = JsonParser.parseString(Files.readString(dir.resolve(STATE))).getAsJsonObject();
            return new Contents(dir, decode(dir, RAW, manager), decode(dir, EMA, manager),
                    decode(dir, OPTIMIZER, manager), state, Files.readString(dir.resolve(CONFIG)));
        } catch (IOException | JsonParseException | IllegalStateException e) {
            throw new CorruptCheckpointException(dir + ": unreadable (" + e.getMessage() + ")");
        }
    }

    /** Checks that the manifest lists every file with its size and hash. */
    static void verify(Path dir) {
        Path manifestFile = dir.resolve(MANIFEST);
        if (!Files.isRegularFile(manifestFile)) {
            throw new CorruptCheckpointException(dir + ": " + MANIFEST + " is missing");
        }
        JsonObject files;
        try {
            files = JsonParser.parseString(Files.readString(manifestFile, StandardCharsets.UTF_8))
                    .getAsJsonObject().getAsJsonObject("files");
        } catch (IOException | JsonParseException | IllegalStateException | ClassCastException e) {
            throw new CorruptCheckpointException(dir + ": " + MANIFEST + " is damaged");
        }
        if (files == null) {
            throw new CorruptCheckpointException(dir + ": " + MANIFEST + " is damaged");
        }
        for (String f : FILES) {
            Path p = dir.resolve(f);
            JsonObject entry = files.has(f) && files.get(f).isJsonObject() ? files.getAsJsonObject(f) : null;
            if (entry == null) {
                throw new CorruptCheckpointException(dir + ": " + MANIFEST + " does not list " + f);
            }
            if (!Files.isRegularFile(p)) {
                throw new CorruptCheckpointException(dir + ": " + f + " is missing");
            }
            try {
                long bytes = Files.size(p);
                if (bytes != entry.get("bytes").getAsLong()) {
                    throw new CorruptCheckpointException(dir + ": " + f + " has " + bytes + " bytes, "
                            + entry.get("bytes").getAsLong() + " were written (truncated or replaced)");
                }
                if (!Sha256.of(p).equals(entry.get("sha256").getAsString())) {
                    throw new CorruptCheckpointException(dir + ": " + f + " is damaged (SHA-256 mismatch)");
                }
            } catch (IOException e) {
                throw new CorruptCheckpointException(dir + ": cannot read " + f + ": " + e.getMessage());
            }
        }
    }

    /**
     * A numeric member of state.json (or of an object in it).
     *
     * @throws IllegalArgumentException naming the member when it is missing or not a number
     */
    public static Number number(JsonObject o, String key) {
        JsonElement e = o.get(key);
        if (e == null || !e.isJsonPrimitive() || !e.getAsJsonPrimitive().isNumber()) {
            throw new IllegalArgumentException("state.json: '" + key + "' is missing or not a number");
        }
        return e.getAsNumber();
    }

    private static NDList decode(Path dir, String file, NDManager manager) throws IOException {
        try (InputStream in = Files.newInputStream(dir.resolve(file))) {
            return NDList.decode(manager, in);
        }
    }

    /**
     * Deletes a checkpoint folder by first renaming it out of the checkpoint names, so that a
     * crash half-way leaves a leftover for {@link CheckpointStore#removeLeftovers} rather than a
     * damaged folder under a checkpoint name.
     */
    static void remove(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        Path aside = dir.resolveSibling("." + dir.getFileName() + ".removed");
        FileTrees.delete(aside);
        Files.move(dir, aside, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        FileTrees.delete(aside);
    }
}
