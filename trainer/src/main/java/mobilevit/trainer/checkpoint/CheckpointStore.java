package mobilevit.trainer.checkpoint;

import ai.djl.ndarray.NDManager;

import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;

import mobilevit.core.AtomicFiles;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The checkpoints of a run folder: {@code checkpoints/e0003-i000120/} folders (epoch, iteration
 * within the epoch of the next step), {@code checkpoints/last.json} and {@code best.json} naming
 * the latest and the best (by EMA top-1) one, the newest {@code keep} kept beside the best.
 */
public final class CheckpointStore {

    private static final Logger LOG = LoggerFactory.getLogger(CheckpointStore.class);
    private static final Pattern NAME = Pattern.compile("e(\\d{4,})-i(\\d{6,})");
    /** What an interrupted write leaves: a checkpoint folder being filled or removed, a pointer's temporary file. */
    private static final Pattern LEFTOVER = Pattern.compile("\\.e\\d{4,}-i\\d{6,}\\..+|\\.(last|best)\\.json\\..+\\.tmp");
    public static final String LAST = "last.json";
    static final String BEST = "best.json";

    private final Path dir;
    private final int keep;

    public CheckpointStore(Path runDir, int keep) {
        this.dir = runDir.resolve("checkpoints");
        this.keep = keep;
    }

    public Path dir() {
        return dir;
    }

    public static String name(int epoch, int iteration) {
        return String.format(Locale.ROOT, "e%04d-i%06d", epoch, iteration);
    }

    /**
     * Writes a checkpoint, points {@code last} (and {@code best} when {@code isBest}) at it and
     * removes checkpoints beyond the newest {@code keep} (never the best).
     */
    public Path save(int epoch, int iteration, Writer writer, boolean isBest) throws IOException {
        Path target = dir.resolve(name(epoch, iteration));
        writer.write(target);
        // "best" before "last": a process killed between the two resumes from the previous
        // checkpoint, replays this one and decides "best" again; the other way round, "best"
        // would stay behind for good (and its checkpoint be pruned).
        if (isBest) {
            pointTo(BEST, target);
        }
        pointTo(LAST, target);
        prune();
        return target;
    }

    /** Writes a checkpoint folder. */
    @FunctionalInterface
    public interface Writer {
        void write(Path checkpointDir) throws IOException;
    }

    private void pointTo(String pointer, Path target) throws IOException {
        JsonObject o = new JsonObject();
        o.addProperty("checkpoint", target.getFileName().toString());
        AtomicFiles.writeString(dir.resolve(pointer), Checkpoint.GSON.toJson(o));
    }

    private void prune() throws IOException {
        Optional<Path> best = pointer(BEST);
        Optional<Path> last = pointer(LAST);
        List<Path> all = listNewestFirst();
        for (int i = keep; i < all.size(); i++) {
            Path p = all.get(i);
            if (!best.map(p::equals).orElse(false) && !last.map(p::equals).orElse(false)) {
                Checkpoint.remove(p);
            }
        }
    }

    /**
     * Deletes what a process killed while writing left in the checkpoints folder: partly written
     * or partly removed checkpoint folders (hidden, never under a checkpoint name) and temporary
     * pointer files. Only for the one process that trains in this run folder, before it starts.
     *
     * @return the number of entries deleted
     */
    public int removeLeftovers() throws IOException {
        return Leftovers.remove(dir, LEFTOVER);
    }

    /** The checkpoint a pointer file names, if the file exists and is readable. */
    public Optional<Path> pointer(String pointer) {
        Path f = dir.resolve(pointer);
        if (!Files.isRegularFile(f)) {
            return Optional.empty();
        }
        try {
            String name = JsonParser.parseString(Files.readString(f)).getAsJsonObject().get("checkpoint").getAsString();
            return NAME.matcher(name).matches() ? Optional.of(dir.resolve(name)) : Optional.empty();
        } catch (IOException | JsonParseException | IllegalStateException | NullPointerException
                | UnsupportedOperationException e) {
            return Optional.empty();
        }
    }

    /** Checkpoint folders, newest (highest epoch, then iteration) first. */
    List<Path> listNewestFirst() throws IOException {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> Files.isDirectory(p) && NAME.matcher(p.getFileName().toString()).matches())
                    .sorted(Comparator.comparing(CheckpointStore::order).reversed())
                    .toList();
        }
    }

    private static String order(Path p) {
        Matcher m = NAME.matcher(p.getFileName().toString());
        m.matches();
        return String.format(Locale.ROOT, "%012d-%012d", Long.parseLong(m.group(1)), Long.parseLong(m.group(2)));
    }

    /**
     * Reads the latest intact checkpoint: the one {@code last.json} names, or, if that one is
     * missing or damaged, the newest intact folder (saying so). Empty when the run has none.
     */
    public Optional<Checkpoint.Contents> latestIntact(NDManager manager) throws IOException {
        List<Path> candidates = new ArrayList<>();
        pointer(LAST).ifPresent(candidates::add);
        for (Path p : listNewestFirst()) {
            if (!candidates.contains(p)) {
                candidates.add(p);
            }
        }
        for (Path p : candidates) {
            try {
                return Optional.of(Checkpoint.read(p, manager));
            } catch (CorruptCheckpointException e) {
                LOG.warn("refusing damaged checkpoint {}; trying an older one", e.getMessage());
            }
        }
        if (!candidates.isEmpty()) {
            throw new CorruptCheckpointException("every checkpoint in " + dir + " is damaged; move the folder away"
                    + " to start afresh");
        }
        return Optional.empty();
    }

    /**
     * Resolves what a user named: a checkpoint folder, a {@code last.json}/{@code best.json}
     * pointer, a {@code checkpoints} folder or a run folder (both meaning its latest).
     */
    public static Path resolve(Path given) {
        if (Files.isRegularFile(given.resolve(Checkpoint.MANIFEST))
                || NAME.matcher(given.getFileName().toString()).matches()) {
            return given;
        }
        if (Files.isRegularFile(given)) {
            Path checkpoints = given.toAbsolutePath().getParent();
            return new CheckpointStore(checkpoints.getParent(), 1).pointer(given.getFileName().toString())
                    .orElseThrow(() -> new CorruptCheckpointException(given + " does not name a checkpoint"));
        }
        Path runDir = given.getFileName().toString().equals("checkpoints") ? given.toAbsolutePath().getParent() : given;
        CheckpointStore store = new CheckpointStore(runDir, 1);
        if (!Files.isDirectory(store.dir)) {
            throw new CorruptCheckpointException(given + " is not a checkpoint, a checkpoints folder or a run folder");
        }
        Optional<Path> last = store.pointer(LAST);
        if (last.isPresent()) {
            return last.get();
        }
        try {
            List<Path> all = store.listNewestFirst();
            if (all.isEmpty()) {
                throw new CorruptCheckpointException(runDir + " has no checkpoint");
            }
            return all.get(0);
        } catch (IOException e) {
            throw new CorruptCheckpointException("cannot list " + store.dir + ": " + e.getMessage());
        }
    }
}
