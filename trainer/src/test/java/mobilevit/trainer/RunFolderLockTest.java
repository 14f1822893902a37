package mobilevit.trainer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import mobilevit.data.dataset.SyntheticImageNet;
import mobilevit.trainer.checkpoint.RunFolderLock;
import mobilevit.trainer.config.ConfigException;
import mobilevit.trainer.config.TrainConfig;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A run folder is held by one run at a time: a second lock, in this JVM or from another process,
 * is refused naming the holder's PID and changes nothing; a released lock, or that of a process
 * killed with SIGKILL, can be taken again, the stale file notwithstanding.
 */
class RunFolderLockTest {

    @TempDir
    Path tmp;

    @Test
    void aSecondLockInThisJvmIsRefusedAndTheFirstStillHoldsAgainstOtherProcesses() throws Exception {
        Path run = Files.createDirectories(tmp.resolve("run"));
        long pid = ProcessHandle.current().pid();
        RunFolderLock held = RunFolderLock.acquire(run);
        try (held) {
            ConfigException e = assertThrows(ConfigException.class, () -> RunFolderLock.acquire(run));
            assertEquals(refusal(run, pid), e.getMessage());
            // the refusal opened no second channel, whose closing would have dropped this JVM's lock
            assertEquals(List.of("refused: " + refusal(run, pid)), tryInAnotherProcess(run));
        }
        assertEquals(pid + "\n", Files.readString(run.resolve(RunFolderLock.FILE)));
        RunFolderLock.acquire(run).close(); // a released lock is taken again
    }

    @Test
    void aLockOfAnotherProcessIsRefusedNamingItsPidAndFreedWhenItIsKilled() throws Exception {
        Path run = Files.createDirectories(tmp.resolve("run"));
        Process holder = child(Holder.HOLD, run);
        try {
            BufferedReader out = new BufferedReader(new InputStreamReader(holder.getInputStream(),
                    StandardCharsets.UTF_8));
            assertEquals("locked", out.readLine());
            ConfigException e = assertThrows(ConfigException.class, () -> RunFolderLock.acquire(run));
            assertEquals(refusal(run, holder.pid()), e.getMessage());
            assertEquals(holder.pid() + "\n", Files.readString(run.resolve(RunFolderLock.FILE)), "untouched");
        } finally {
            holder.destroyForcibly(); // SIGKILL: no Java code of the holder runs
            assertTrue(holder.waitFor(30, TimeUnit.SECONDS));
        }
        assertEquals(holder.pid() + "\n", Files.readString(run.resolve(RunFolderLock.FILE)), "the stale file is left");
        RunFolderLock taken = RunFolderLock.acquire(run);
        try (taken) {
            assertEquals(List.of("refused: " + refusal(run, ProcessHandle.current().pid())), tryInAnotherProcess(run));
        }
    }

    /** A trainer refused for a locked folder writes no config.yaml and deletes no leftover there. */
    @Test
    void aTrainerInALockedFolderIsRefusedAndTouchesNothing() throws Exception {
        Path data = tmp.resolve("data");
        SyntheticImageNet.generate(data, 3, 2, 1, 5);
        Path run = Files.createDirectories(tmp.resolve("run"));
        Files.writeString(run.resolve("config.yaml"), "the holder's\n");
        Path leftover = Files.writeString(run.resolve(".metrics.csv.123.tmp"), "the holder's write in progress\n");
        TrainConfig cfg = TrainConfig.load(Path.of(System.getProperty("fixtures.dir", "../fixtures"))
                .resolveSibling("configs").resolve("demo.yaml"), List.of("data.root='" + data + "'",
                "model.num_classes=3"));
        RunFolderLock held = RunFolderLock.acquire(run);
        try (held) {
            ConfigException e = assertThrows(ConfigException.class, () -> Trainer.builder(cfg, run).build().run());
            assertEquals(refusal(run, ProcessHandle.current().pid()), e.getMessage());
        }
        assertEquals("the holder's\n", Files.readString(run.resolve("config.yaml")));
        assertTrue(Files.exists(leftover), "the startup cleanup waits for the lock");
    }

    private static String refusal(Path run, long pid) {
        return "run folder " + run + " is in use by another train (PID " + pid + "); wait for it or give another"
                + " --output";
    }

    /** What {@link Holder#TRY} prints in another JVM. */
    private static List<String> tryInAnotherProcess(Path run) throws Exception {
        Process p = child(Holder.TRY, run);
        List<String> out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))
                .lines().toList();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        return out;
    }

    private static Process child(String mode, Path run) throws IOException {
        String cp = System.getProperty("java.class.path");
        if (!cp.contains("classes")) {
            cp = System.getProperty("surefire.test.class.path", cp); // surefire's manifest-only jar
        }
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        return new ProcessBuilder(java, "-cp", cp, Holder.class.getName(), mode, run.toString())
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
    }

    /** Run in a child JVM: {@code hold DIR} locks and waits to be killed; {@code try DIR} says what acquiring does. */
    static final class Holder {
        static final String HOLD = "hold";
        static final String TRY = "try";

        public static void main(String[] args) throws Exception {
            Path run = Path.of(args[1]);
            if (args[0].equals(HOLD)) {
                RunFolderLock.acquire(run);
                System.out.println("locked");
                Thread.sleep(Long.MAX_VALUE);
            }
            try {
                RunFolderLock.acquire(run).close();
                System.out.println("locked");
            } catch (ConfigException e) {
                System.out.println("refused: " + e.getMessage());
            }
        }
    }
}
