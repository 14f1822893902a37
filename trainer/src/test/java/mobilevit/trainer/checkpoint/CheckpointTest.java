package mobilevit.trainer.checkpoint;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;

import com.google.gson.JsonObject;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.stream.Stream;

class CheckpointTest {

    @TempDir
    Path run;

    private NDManager manager;

    @BeforeEach
    void open() {
        manager = NDManager.newBaseManager();
    }

    @AfterEach
    void close() {
        manager.close();
    }

    private NDList tensors(String name, float value) {
        NDArray a = manager.full(new ai.djl.ndarray.types.Shape(2, 3), value);
        a.setName(name);
        return new NDList(a);
    }

    private Path save(CheckpointStore store, int epoch, int iteration, boolean best) throws IOException {
        JsonObject state = new JsonObject();
        state.addProperty("epoch", epoch);
        return store.save(epoch, iteration, dir -> Checkpoint.write(dir, new Checkpoint.Tensors(tensors("w", epoch),
                tensors("w", -epoch), tensors("exp_avg.w", iteration)), state, "train:\n  epochs: 3\n"), best);
    }

    @Test
    void writtenCheckpointReadsBack() throws IOException {
        CheckpointStore store = new CheckpointStore(run, 3);
        Path dir = save(store, 2, 40, false);
        assertEquals("e0002-i000040", dir.getFileName().toString());
        Checkpoint.Contents c = Checkpoint.read(dir, manager);
        assertArrayEquals(new float[] {2, 2, 2, 2, 2, 2}, c.raw().get("w").toFloatArray());
        assertArrayEquals(new float[] {-2, -2, -2, -2, -2, -2}, c.ema().get("w").toFloatArray());
        assertEquals(2, c.state().get("epoch").getAsInt());
        assertEquals("train:\n  epochs: 3\n", c.configYaml());
        try (Stream<Path> s = Files.list(store.dir())) {
            assertTrue(s.noneMatch(p -> p.getFileName().toString().startsWith(".")), "no temporary folder left");
        }
    }

    @Test
    void damageIsRefusedNamingTheFile() throws IOException {
        CheckpointStore store = new CheckpointStore(run, 10);
        Path truncated = save(store, 1, 0, false);
        try (FileChannel ch = FileChannel.open(truncated.resolve(Checkpoint.RAW), StandardOpenOption.WRITE)) {
            ch.truncate(ch.size() / 2);
        }
        assertMessage(truncated, "model.safetensors has");

        Path flipped = save(store, 2, 0, false);
        byte[] bytes = Files.readAllBytes(flipped.resolve(Checkpoint.OPTIMIZER));
        bytes[bytes.length - 3] ^= 0x10;
        Files.write(flipped.resolve(Checkpoint.OPTIMIZER), bytes);
        assertMessage(flipped, "optimizer.safetensors is damaged (SHA-256 mismatch)");

        Path missing = save(store, 3, 0, false);
        Files.delete(missing.resolve(Checkpoint.EMA));
        assertMessage(missing, "ema.safetensors is missing");

        Path edited = save(store, 4, 0, false);
        String state = Files.readString(edited.resolve(Checkpoint.STATE));
        Files.writeString(edited.resolve(Checkpoint.STATE), state.replace("\"epoch\": 4", "\"epoch\": [4, 4]"));
        assertMessage(edited, "state.json");

        Path noManifest = save(store, 5, 0, false);
        Files.delete(noManifest.resolve(Checkpoint.MANIFEST));
        assertMessage(noManifest, "manifest.json is missing");
    }

    private void assertMessage(Path dir, String expected) {
        CorruptCheckpointException e = assertThrows(CorruptCheckpointException.class, () -> Checkpoint.read(dir, manager));
        assertTrue(e.getMessage().startsWith(dir.toString()) && e.getMessage().contains(expected), e.getMessage());
    }

    @Test
    void storeKeepsTheNewestAndTheBestAndFallsBackPastDamage() throws IOException {
        CheckpointStore store = new CheckpointStore(run, 2);
        Path best = save(store, 1, 0, true);
        save(store, 1, 20, false);
        Path third = save(store, 2, 0, false);
        Path newest = save(store, 2, 20, false);
        assertEquals(List.of(newest, third, best), store.listNewestFirst());
        assertEquals(newest, CheckpointStore.resolve(run));
        assertEquals(best, CheckpointStore.resolve(store.dir().resolve(CheckpointStore.BEST)));
        assertEquals(newest, store.latestIntact(manager).orElseThrow().dir());

        Files.delete(newest.resolve(Checkpoint.RAW));
        assertEquals(third, store.latestIntact(manager).orElseThrow().dir(), "falls back to the newest intact");
        Files.delete(third.resolve(Checkpoint.STATE));
        Files.delete(best.resolve(Checkpoint.EMA));
        CorruptCheckpointException all = assertThrows(CorruptCheckpointException.class, () -> store.latestIntact(manager));
        assertTrue(all.getMessage().contains("every checkpoint"), all.getMessage());
        assertFalse(new CheckpointStore(run.resolve("fresh"), 2).latestIntact(manager).isPresent());
    }

    @Test
    void aFailedWriteLeavesThePreviousCheckpointValid() throws IOException {
        CheckpointStore store = new CheckpointStore(run, 3);
        Path good = save(store, 1, 0, false);
        // the EMA file fails half-way, as on a full disk
        NDList failing = new NDList(tensors("w", 9)) {
            private static final long serialVersionUID = 1L;

            @Override
            public void encode(java.io.OutputStream os, Encoding encoding) throws IOException {
                os.write(new byte[100]);
                throw new IOException("No space left on device");
            }
        };
        IOException e = assertThrows(IOException.class, () -> store.save(1, 10, dir -> Checkpoint.write(dir,
                new Checkpoint.Tensors(tensors("w", 9), failing, tensors("exp_avg.w", 9)), new JsonObject(), ""), false));
        assertTrue(e.getMessage().endsWith("/ema.safetensors: no space left on device"), e.getMessage());
        assertEquals(good, CheckpointStore.resolve(run));
        assertEquals(good, store.latestIntact(manager).orElseThrow().dir());
        try (Stream<Path> s = Files.list(store.dir())) {
            assertEquals(List.of(good.getFileName().toString(), CheckpointStore.LAST),
                    s.map(p -> p.getFileName().toString()).sorted().toList(), "no partial folder or temporary file left");
        }
    }

    @Test
    void leftoversOfAKilledWriteAreRemovedAndCheckpointsKept() throws IOException {
        CheckpointStore store = new CheckpointStore(run, 3);
        Path good = save(store, 1, 0, false);
        // what SIGKILL leaves: a checkpoint folder being filled, one being removed, a pointer's temporary file
        Path filling = Files.createDirectories(store.dir().resolve(".e0001-i000010.4242"));
        Files.writeString(filling.resolve(Checkpoint.RAW), "half");
        Path removing = Files.createDirectories(store.dir().resolve(".e0000-i000005.removed"));
        Files.writeString(removing.resolve(Checkpoint.STATE), "{}");
        Files.writeString(store.dir().resolve(".last.json.123456789.tmp"), "{");
        assertEquals(3, store.removeLeftovers());
        try (Stream<Path> s = Files.list(store.dir())) {
            assertEquals(List.of(good.getFileName().toString(), CheckpointStore.LAST),
                    s.map(p -> p.getFileName().toString()).sorted().toList());
        }
        assertEquals(good, store.latestIntact(manager).orElseThrow().dir());
        assertEquals(0, store.removeLeftovers());
    }

    @Test
    void pruningRenamesAFolderAwayBeforeDeletingIt() throws IOException {
        CheckpointStore store = new CheckpointStore(run, 1);
        Path first = save(store, 1, 0, false);
        Path second = save(store, 1, 10, false);
        assertFalse(Files.exists(first));
        try (Stream<Path> s = Files.list(store.dir())) {
            assertEquals(List.of(second.getFileName().toString(), CheckpointStore.LAST),
                    s.map(p -> p.getFileName().toString()).sorted().toList(), "nothing left of the pruned folder");
        }
    }

    @Test
    void bestIsPointedAtBeforeLastSoThatACrashBetweenThemCannotLoseIt() throws IOException {
        CheckpointStore store = new CheckpointStore(run, 3);
        save(store, 1, 0, true);
        // last.json cannot be replaced (a folder in its place): the save stops at that pointer
        Files.delete(store.dir().resolve(CheckpointStore.LAST));
        Files.createDirectories(store.dir().resolve(CheckpointStore.LAST).resolve("x"));
        assertThrows(IOException.class, () -> save(store, 2, 0, true));
        assertEquals(store.dir().resolve("e0002-i000000"), store.pointer(CheckpointStore.BEST).orElseThrow());
    }
}
