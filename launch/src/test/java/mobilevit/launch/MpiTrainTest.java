package mobilevit.launch;

import mobilevit.data.dataset.SyntheticImageNet;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * {@code train} as an MPI job of two ranks, one CPU replica each, started by {@code mpirun} on
 * loopback only, on a 16-image generated dataset (4 steps at 64 and 96 pixels, one PyTorch thread
 * per rank). Skipped where Open MPI is not installed, unless MOBILEVIT_REQUIRE_MPI=1 (CI).
 */
@Tag("slow")
class MpiTrainTest {

    private static final List<String> MPIRUN = List.of("mpirun", "-np", "2", "--allow-run-as-root", "--oversubscribe",
            "--bind-to", "none", "--mca", "btl", "self,tcp", "--mca", "btl_tcp_if_include", "lo",
            "--mca", "oob_tcp_if_include", "lo");
    private static final String CONFIG = """
            model: {variant: xxs, num_classes: 4}
            data: {workers: 1, prefetch: 2}
            sampler: {base_size: 64, min_size: 64, max_size: 96, num_scales: 2, divisible_by: 32}
            train: {epochs: 2, batch_size: 4, threads: 1, seed: 0, ema_momentum: 0.05, checkpoint_every: 1,
                    keep_checkpoints: 100, log_every: 1}
            schedule: {warmup_iterations: 2}
            eval: {resize: 72, crop: 64, batch_size: 8}
            """;
    private static final List<String> TENSOR_FILES = List.of("model.safetensors", "ema.safetensors",
            "optimizer.safetensors", "state.json");

    @TempDir
    static Path tmp;
    static Path config;
    /** An uninterrupted two-rank run. */
    static Path reference;

    private final List<Process> started = new ArrayList<>();

    @BeforeAll
    static void datasetAndReferenceRun() throws Exception {
        if (!Scripts.onPath("mpirun")) {
            assertTrue(!"1".equals(System.getenv("MOBILEVIT_REQUIRE_MPI")),
                    "mpirun is missing (apt-get install openmpi-bin libopenmpi-dev)");
            Assumptions.abort("Open MPI is not installed (apt-get install openmpi-bin libopenmpi-dev)");
        }
        SyntheticImageNet.generate(tmp.resolve("data"), 4, 4, 2, 0);
        config = Scripts.write(tmp.resolve("tiny.yaml"), CONFIG);
        reference = tmp.resolve("reference");
        Run r = new MpiTrainTest().mpi(reference, Map.of()).await(300);
        assertEquals(0, r.code, r::describe);
    }

    @AfterEach
    void endLeftovers() {
        for (Process p : started) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
        }
    }

    @Test
    void twoRanksEndBitIdenticalToTwoReplicasInOneProcess() throws Exception {
        Path single = tmp.resolve("single");
        Run r = start(List.of(), single, "cpu:2", Map.of()).await(300);
        assertEquals(0, r.code, r::describe);
        List<String> names = checkpoints(single);
        assertEquals(List.of("e0000-i000001", "e0001-i000000", "e0001-i000001", "e0002-i000000"), names);
        assertEquals(names, checkpoints(reference));
        for (String n : names) {
            for (String f : TENSOR_FILES) {
                assertSameBytes(single.resolve("checkpoints").resolve(n).resolve(f),
                        reference.resolve("checkpoints").resolve(n).resolve(f));
            }
            // the configs differ in what each process was given: train.devices (cpu:2 or cpu)
            assertEquals(withoutDevices(single.resolve("checkpoints").resolve(n).resolve("config.yaml")),
                    withoutDevices(reference.resolve("checkpoints").resolve(n).resolve("config.yaml")));
        }
        assertSameBytes(single.resolve("metrics.csv"), reference.resolve("metrics.csv"));
        assertSameBytes(single.resolve("checkpoints/best.json"), reference.resolve("checkpoints/best.json"));
        // rank 0 alone logged: one line per iteration and per epoch, as the single process
        assertEquals(Files.readAllLines(single.resolve("log.jsonl")).size(),
                Files.readAllLines(reference.resolve("log.jsonl")).size());
    }

    @Test
    void aKilledRankEndsTheJobAndTheSameCommandResumesBitIdentical() throws Exception {
        Path run = tmp.resolve("killed");
        Mpi job = mpi(run, Map.of());
        job.awaitCheckpoint("e0000-i000001");
        ProcessHandle rank1 = job.rank(1);
        rank1.destroyForcibly(); // SIGKILL
        Run r = job.await(60);
        assertNotEquals(0, r.code, r::describe);
        assertTrue(Pattern.compile("process rank 1 with PID \\d+ on node \\S+ exited on signal 9").matcher(r.output)
                .find(), r::describe);

        Run again = mpi(run, Map.of()).await(300);
        assertEquals(0, again.code, again::describe);
        assertTrue(again.output.contains("resuming from " + run.resolve("checkpoints")), again::describe);
        List<String> names = checkpoints(reference);
        assertEquals(names, checkpoints(run));
        for (String n : names) {
            try (Stream<Path> files = Files.list(reference.resolve("checkpoints").resolve(n))) {
                for (Path f : files.toList()) { // all of them: same config, so the manifests match too
                    assertSameBytes(f, run.resolve("checkpoints").resolve(n).resolve(f.getFileName()));
                }
            }
        }
        assertSameBytes(reference.resolve("metrics.csv"), run.resolve("metrics.csv"));
    }

    @Test
    void aHungRankIsEndedByTheWatchdogWithOneLine() throws Exception {
        Path run = tmp.resolve("hung");
        Mpi job = mpi(run, Map.of("MOBILEVIT_MPI_TIMEOUT", "5"));
        job.awaitCheckpoint("e0000-i000001");
        ProcessHandle rank1 = job.rank(1);
        Scripts.runCommand(tmp, Map.of(), List.of("kill", "-STOP", Long.toString(rank1.pid()))).expect(0);
        Run r = job.await(60);
        assertEquals(6, r.code, r::describe);
        assertTrue(Pattern.compile("(?m)^error: rank 0: collective #\\d+ \\([^)]+\\) did not complete within 5 s"
                + " \\(another rank died or hangs\\); aborting the job$").matcher(r.output).find(), r::describe);
    }

    // --- running the jobs ---

    private static String javaBinary() {
        return ProcessHandle.current().info().command()
                .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    }

    private static String classPath() {
        String cp = System.getProperty("java.class.path");
        return cp.contains("classes") ? cp : System.getProperty("surefire.test.class.path", cp);
    }

    private Mpi mpi(Path run, Map<String, String> env) throws IOException {
        return new Mpi(start(MPIRUN, run, "cpu", env));
    }

    /** {@code [launcher...] java ... mobilevit.launch.Main train ...}, its output into a file. */
    private Run.Pending start(List<String> launcher, Path run, String devices, Map<String, String> env)
            throws IOException {
        List<String> command = new ArrayList<>(launcher);
        command.addAll(List.of(javaBinary(), "-cp", classPath(), "-Xmx1g", "-XX:+UseSerialGC",
                "-Dai.djl.offline=true", "-Dai.djl.pytorch.num_threads=1", "-Dai.djl.pytorch.num_interop_threads=1"));
        if (!launcher.isEmpty()) {
            command.add("-D" + TrainCommand.MPI_PROPERTY + "=true"); // what launch/mobilevit adds under mpirun
        }
        command.addAll(List.of("mobilevit.launch.Main", "train", "--config", config.toString(), "--data",
                tmp.resolve("data").toString(), "--output", run.toString(), "--devices", devices));
        Path log = Files.createTempFile(tmp, "job", ".log");
        ProcessBuilder pb = new ProcessBuilder(command).directory(tmp.toFile()).redirectErrorStream(true)
                .redirectOutput(log.toFile());
        Map<String, String> e = new HashMap<>(env);
        e.put("XDG_CACHE_HOME", tmp.resolve("cache").toString());
        e.put("DJL_OFFLINE", "true");
        pb.environment().putAll(e);
        pb.environment().keySet().removeAll(List.of("JAVA_TOOL_OPTIONS", "_JAVA_OPTIONS", "JDK_JAVA_OPTIONS"));
        Process p = pb.start();
        started.add(p);
        return new Run.Pending(p, log, run, String.join(" ", command.subList(0, launcher.isEmpty() ? 1 : 3)));
    }

    /** A running mpirun job. */
    private record Mpi(Run.Pending job) {

        Run await(long seconds) throws Exception {
            return job.await(seconds);
        }

        void awaitCheckpoint(String name) throws Exception {
            Path manifest = job.run.resolve("checkpoints").resolve(name).resolve("manifest.json");
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(300);
            while (!Files.exists(manifest)) {
                if (!job.process.isAlive() || System.nanoTime() > deadline) {
                    fail("no checkpoint " + name + "; output:\n" + Files.readString(job.log));
                }
                Thread.sleep(100);
            }
        }

        /** The java process of a rank: a descendant of mpirun with OMPI_COMM_WORLD_RANK in its environment. */
        ProcessHandle rank(int rank) throws IOException {
            for (ProcessHandle h : job.process.descendants().toList()) {
                Path environ = Path.of("/proc", Long.toString(h.pid()), "environ");
                Optional<String> cmd = h.info().command();
                if (cmd.isPresent() && cmd.get().endsWith("java") && Files.isReadable(environ)
                        && Arrays.asList(new String(Files.readAllBytes(environ)).split("\0"))
                                .contains("OMPI_COMM_WORLD_RANK=" + rank)) {
                    return h;
                }
            }
            throw new AssertionError("no process of rank " + rank + " under mpirun");
        }
    }

    /** A finished command: its exit code and its output (stdout and stderr together). */
    private record Run(String command, int code, String output) {

        String describe() {
            List<String> lines = output.lines().toList();
            return "`" + command + " ...` exited " + code + "; last lines:\n  "
                    + String.join("\n  ", lines.subList(Math.max(0, lines.size() - 30), lines.size()));
        }

        record Pending(Process process, Path log, Path run, String command) {
            Run await(long seconds) throws Exception {
                if (!process.waitFor(seconds, TimeUnit.SECONDS)) {
                    process.descendants().forEach(ProcessHandle::destroyForcibly);
                    process.destroyForcibly();
                    fail("`" + command + "` did not end within " + seconds + " s; output:\n" + Files.readString(log));
                }
                return new Run(command, process.exitValue(), Files.readString(log));
            }
        }
    }

    // --- comparing ---

    private static List<String> checkpoints(Path run) throws IOException {
        try (Stream<Path> s = Files.list(run.resolve("checkpoints"))) {
            return s.filter(Files::isDirectory).map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    private static void assertSameBytes(Path expected, Path actual) throws IOException {
        assertArrayEquals(Files.readAllBytes(expected), Files.readAllBytes(actual), actual + " differs from " + expected);
    }

    private static List<String> withoutDevices(Path yaml) throws IOException {
        return Files.readAllLines(yaml).stream().filter(l -> !l.strip().startsWith("devices:")).toList();
    }
}
