package mobilevit.trainer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;

import mobilevit.core.Sha256;
import mobilevit.data.dataset.SyntheticImageNet;
import mobilevit.trainer.checkpoint.Checkpoint;
import mobilevit.trainer.checkpoint.TrainData;
import mobilevit.trainer.config.ConfigException;
import mobilevit.trainer.config.TrainConfig;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * A checkpoint records its training classes and a fingerprint of its training files; a resume on
 * other classes is refused (exit code 2, nothing written) unless data.allow_changed_data is set,
 * and a resume on other files of the same classes is a warning with the counts.
 */
@Tag("slow")
class ChangedDataTest {

    @TempDir
    static Path dir;
    /** A run stopped after its first step, on 3 classes of 4 training images each. */
    static Path run;

    private final ListAppender<ILoggingEvent> log = new ListAppender<>();

    @BeforeAll
    static void stoppedRun() throws IOException {
        SyntheticImageNet.generate(dir.resolve("data"), 3, 4, 1, 7, SyntheticImageNet.ImageSize.parse("80x80"));
        run = dir.resolve("run");
        assertEquals(Trainer.Outcome.STOPPED, Trainer.builder(config(dir.resolve("data")), run).optStopAfterStep(1)
                .build().run().outcome());
    }

    @BeforeEach
    void captureLog() {
        log.start();
        ((Logger) LoggerFactory.getLogger(TrainData.class)).addAppender(log);
    }

    @AfterEach
    void releaseLog() {
        ((Logger) LoggerFactory.getLogger(TrainData.class)).detachAppender(log);
    }

    private static TrainConfig config(Path data, String... overrides) throws IOException {
        List<String> keys = new ArrayList<>(List.of("data.root='" + data + "'", "model.num_classes=3",
                "train.epochs=1", "train.batch_size=4", "sampler.base_size=64", "sampler.min_size=64",
                "sampler.max_size=64", "eval.resize=72", "eval.crop=64", "train.threads=1", "data.workers=1"));
        keys.addAll(List.of(overrides));
        return TrainConfig.load(Path.of(System.getProperty("fixtures.dir", "../fixtures")).resolveSibling("configs")
                .resolve("demo.yaml"), keys);
    }

    @Test
    void theCheckpointRecordsTheClassesAndTheTrainingFiles() throws IOException {
        JsonObject state = state(run.resolve("checkpoints/e0000-i000001"));
        assertEquals("[\"" + String.join("\",\"", names()) + "\"]", state.get("classes").toString());
        JsonObject data = state.getAsJsonObject("train_data");
        assertEquals("[4,4,4]", data.get("images_per_class").toString());
        assertEquals(12, data.get("images").getAsInt());
        assertEquals(64, data.get("paths_sha256").getAsString().length());
    }

    @Test
    void otherClassNamesAreRefusedNamingTheFirstAndNothingIsWritten() throws IOException {
        Path data = copyOfData("renamed");
        renameClass(data, 2, "s0002-other");
        Path output = dir.resolve("refused");
        Map<Path, String> before = files(run);
        ConfigException e = assertThrows(ConfigException.class,
                () -> Trainer.builder(config(data), output).optResumeFrom(run).build().run());
        assertEquals("the checkpoint " + run.resolve("checkpoints/e0000-i000001") + " was trained on other classes than "
                + data.resolve("train") + " has (3 then, 3 now): class 2 is '" + names().get(2)
                + "' in the checkpoint and 's0002-other' in " + data.resolve("train") + "; resume on the same data,"
                + " or give --set data.allow_changed_data=true", e.getMessage());
        assertEquals(2, e.exitCode());
        assertEquals(before, files(run));
        try (Stream<Path> written = Files.list(output)) {
            assertEquals(List.of(output.resolve(".lock"), output.resolve("config.yaml")), written.sorted().toList(),
                    "the lock and config.yaml");
        }
    }

    @Test
    void otherClassNamesResumeWithAWarningWhenAllowed() throws IOException {
        Path data = copyOfData("allowed");
        renameClass(data, 2, "s0002-other");
        Path output = dir.resolve("allowed-run");
        Trainer.Summary s = Trainer.builder(config(data, "data.allow_changed_data=true"), output).optResumeFrom(run)
                .optStopAfterStep(2).build().run();
        assertEquals(Trainer.Outcome.STOPPED, s.outcome());
        assertEquals(List.of("WARN the checkpoint " + run.resolve("checkpoints/e0000-i000001") + " was trained on other"
                + " classes than " + data.resolve("train") + " has (3 then, 3 now): class 2 is '" + names().get(2)
                + "' in the checkpoint and 's0002-other' in " + data.resolve("train") + "; resuming as"
                + " data.allow_changed_data is set: each label now means this data's class"), messages());
        assertEquals("s0002-other", state(s.lastCheckpoint()).getAsJsonArray("classes").get(2).getAsString());
    }

    @Test
    void otherFilesOfTheSameClassesAreAWarningWithTheCounts() throws IOException {
        Path data = copyOfData("more");
        Path cls = data.resolve("train").resolve(names().get(0));
        Path first;
        try (Stream<Path> images = Files.list(cls)) {
            first = images.sorted().findFirst().orElseThrow();
        }
        Files.copy(first, cls.resolve("extra-1.JPEG"));
        Files.copy(first, cls.resolve("extra-2.JPEG"));
        assertEquals(Trainer.Outcome.STOPPED, Trainer.builder(config(data), dir.resolve("more-run")).optResumeFrom(run)
                .optStopAfterStep(2).build().run().outcome());
        Files.delete(cls.resolve("extra-1.JPEG"));
        Files.move(cls.resolve("extra-2.JPEG"), first, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        Files.move(first, cls.resolve("renamed.JPEG"));
        assertEquals(Trainer.Outcome.STOPPED, Trainer.builder(config(data), dir.resolve("renamed-run")).optResumeFrom(run)
                .optStopAfterStep(2).build().run().outcome());
        String checkpoint = run.resolve("checkpoints/e0000-i000001").toString();
        assertEquals(List.of("WARN the training data changed since the checkpoint " + checkpoint + ": 12 images then,"
                + " 14 now (class '" + names().get(0) + "' 4 -> 6); resuming", "WARN the training data changed since the"
                + " checkpoint " + checkpoint + ": 12 images then and now, but other files (their paths' SHA-256 differs);"
                + " resuming"), messages());
    }

    @Test
    void aCheckpointWrittenBeforeClassesWereKeptResumesAsBefore() throws IOException {
        Path old = dir.resolve("old/checkpoints/e0000-i000001");
        copy(run.resolve("checkpoints/e0000-i000001"), old);
        JsonObject state = state(old);
        state.remove("classes");
        state.remove("train_data");
        Files.writeString(old.resolve(Checkpoint.STATE), Checkpoint.GSON.toJson(state));
        JsonObject manifest = JsonParser.parseString(Files.readString(old.resolve(Checkpoint.MANIFEST))).getAsJsonObject();
        JsonObject entry = manifest.getAsJsonObject("files").getAsJsonObject(Checkpoint.STATE);
        entry.addProperty("bytes", Files.size(old.resolve(Checkpoint.STATE)));
        entry.addProperty("sha256", Sha256.of(old.resolve(Checkpoint.STATE)));
        Files.writeString(old.resolve(Checkpoint.MANIFEST), Checkpoint.GSON.toJson(manifest));
        assertEquals(Trainer.Outcome.STOPPED, Trainer.builder(config(dir.resolve("data")), dir.resolve("old-run"))
                .optResumeFrom(old).optStopAfterStep(2).build().run().outcome());
        assertEquals(List.of("INFO " + old + " records no training classes (written before they were kept): the"
                + " training data is not compared"), messages());
    }

    private List<String> messages() {
        return log.list.stream().filter(e -> e.getLevel().isGreaterOrEqual(Level.INFO))
                .map(e -> e.getLevel() + " " + e.getFormattedMessage()).toList();
    }

    private static List<String> names() {
        return List.of(SyntheticImageNet.className(0), SyntheticImageNet.className(1), SyntheticImageNet.className(2));
    }

    private static JsonObject state(Path checkpoint) throws IOException {
        return JsonParser.parseString(Files.readString(checkpoint.resolve(Checkpoint.STATE))).getAsJsonObject();
    }

    private static Path copyOfData(String name) throws IOException {
        Path copy = dir.resolve(name);
        copy(dir.resolve("data"), copy);
        return copy;
    }

    private static void renameClass(Path data, int k, String name) throws IOException {
        for (String split : List.of("train", "val")) {
            Files.move(data.resolve(split).resolve(SyntheticImageNet.className(k)), data.resolve(split).resolve(name));
        }
    }

    private static void copy(Path from, Path to) throws IOException {
        try (Stream<Path> all = Files.walk(from)) {
            for (Path p : all.toList()) {
                Path target = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(p, target);
                }
            }
        }
    }

    /** Every file below {@code root} with its size and modification time. */
    private static Map<Path, String> files(Path root) throws IOException {
        Map<Path, String> out = new TreeMap<>();
        try (Stream<Path> all = Files.walk(root)) {
            for (Path p : all.filter(Files::isRegularFile).toList()) {
                out.put(p, Files.size(p) + " " + Files.getLastModifiedTime(p));
            }
        }
        assertFalse(out.isEmpty());
        assertTrue(out.containsKey(root.resolve("checkpoints/e0000-i000001/state.json")));
        return out;
    }
}
