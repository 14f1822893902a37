package mobilevit.trainer.checkpoint;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;

import mobilevit.data.dataset.DataFingerprint;
import mobilevit.trainer.config.ConfigException;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * The training set a checkpoint was made on, as state.json's {@code classes} (names in label
 * order) and {@code train_data} (images per class, their total, the SHA-256 of the sorted paths):
 * {@link #record} writes them, {@link #check} compares them with the training set of a resume.
 */
public final class TrainData {

    private static final Logger LOG = LoggerFactory.getLogger(TrainData.class);
    static final String CLASSES = "classes";
    static final String TRAIN_DATA = "train_data";
    /** Classes whose counts a warning lists at most. */
    private static final int LISTED = 5;

    private TrainData() {}

    /** Adds {@code classes} and {@code train_data} to a checkpoint's state. */
    public static void record(JsonObject state, DataFingerprint data) {
        JsonArray classes = new JsonArray();
        data.classes().forEach(classes::add);
        state.add(CLASSES, classes);
        JsonObject fingerprint = new JsonObject();
        JsonArray counts = new JsonArray();
        data.imagesPerClass().forEach(counts::add);
        fingerprint.add("images_per_class", counts);
        fingerprint.addProperty("images", data.images());
        fingerprint.addProperty("paths_sha256", data.pathsSha256());
        state.add(TRAIN_DATA, fingerprint);
    }

    /** The class names a checkpoint's state records, empty for a checkpoint written before they were kept. */
    static Optional<List<String>> classes(JsonObject state) {
        if (!state.has(CLASSES)) {
            return Optional.empty();
        }
        return Optional.of(strings(state, CLASSES));
    }

    /**
     * Compares the checkpoint {@code dir}'s training set with {@code now}, the one of {@code root}:
     * other classes are refused unless {@code allowChangedClasses}, other files are a warning.
     *
     * @throws ConfigException naming the first class that differs
     */
    public static void check(Path dir, JsonObject state, DataFingerprint now, Path root, boolean allowChangedClasses) {
        Optional<List<String>> classes = classes(state);
        if (classes.isEmpty()) {
            LOG.info("{} records no training classes (written before they were kept): the training data is not"
                    + " compared", dir);
            return;
        }
        List<String> then = classes.get();
        Optional<String> difference = ClassNames.firstDifference(then, "the checkpoint", now.classes(), root.toString());
        if (difference.isPresent()) {
            String what = "the checkpoint " + dir + " was trained on other classes than " + root + " has ("
                    + then.size() + " then, " + now.classes().size() + " now): " + difference.get();
            if (!allowChangedClasses) {
                throw new ConfigException(what + "; resume on the same data, or give --set data.allow_changed_data=true");
            }
            LOG.warn("{}; resuming as data.allow_changed_data is set: each label now means this data's class", what);
            return;
        }
        if (!state.has(TRAIN_DATA) || !state.get(TRAIN_DATA).isJsonObject()) {
            throw new IllegalArgumentException("state.json: '" + TRAIN_DATA + "' is missing or not an object");
        }
        JsonObject recorded = state.getAsJsonObject(TRAIN_DATA);
        List<Integer> counts = new ArrayList<>();
        strings(recorded, "images_per_class").forEach(n -> counts.add(Integer.valueOf(n)));
        if (counts.size() != then.size()) {
            throw new IllegalArgumentException("state.json: " + counts.size() + " images_per_class for " + then.size()
                    + " classes");
        }
        JsonElement hash = recorded.get("paths_sha256");
        if (hash == null || !hash.isJsonPrimitive()) {
            throw new IllegalArgumentException("state.json: 'train_data.paths_sha256' is missing or not a string");
        }
        if (counts.equals(now.imagesPerClass()) && hash.getAsString().equals(now.pathsSha256())) {
            return;
        }
        long imagesThen = counts.stream().mapToLong(Integer::longValue).sum();
        LOG.warn("the training data changed since the checkpoint {}: {}; resuming", dir,
                counts.equals(now.imagesPerClass())
                        ? format(imagesThen) + " images then and now, but other files (their paths' SHA-256 differs)"
                        : format(imagesThen) + " images then, " + format(now.images()) + " now ("
                                + changedCounts(then, counts, now.imagesPerClass()) + ")");
    }

    private static String changedCounts(List<String> classes, List<Integer> then, List<Integer> now) {
        List<String> changed = new ArrayList<>();
        for (int c = 0; c < classes.size(); c++) {
            if (!then.get(c).equals(now.get(c))) {
                changed.add("class '" + classes.get(c) + "' " + format(then.get(c)) + " -> " + format(now.get(c)));
            }
        }
        String shown = String.join(", ", changed.subList(0, Math.min(LISTED, changed.size())));
        return changed.size() > LISTED ? shown + " and " + (changed.size() - LISTED) + " more classes" : shown;
    }

    private static String format(long n) {
        return String.format(Locale.ROOT, "%,d", n);
    }

    /** Field {@code key} of {@code o}, a list of names or numbers, as text. */
    private static List<String> strings(JsonObject o, String key) {
        JsonElement e = o.get(key);
        if (e == null || !e.isJsonArray()) {
            throw new IllegalArgumentException("state.json: '" + key + "' is missing or not a list");
        }
        List<String> out = new ArrayList<>();
        for (JsonElement x : e.getAsJsonArray()) {
            if (!x.isJsonPrimitive()) {
                throw new IllegalArgumentException("state.json: '" + key + "' holds " + x + ", not a name or number");
            }
            out.add(x.getAsString());
        }
        return out;
    }
}
