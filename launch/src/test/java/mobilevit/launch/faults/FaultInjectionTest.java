package mobilevit.launch.faults;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;

import mobilevit.data.BadImages;
import mobilevit.trainer.report.RunPlots;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Fault injection against the real command line: {@code train} and {@code eval} run as separate
 * JVMs on a small generated dataset, and are killed, starved of disk, fed damaged checkpoints, an
 * exploding learning rate, broken images, bad configurations and a second train in their run
 * folder. Every run either recovers, ending bit for bit where an uninterrupted run ends, or is
 * refused with one line and its exit code; no file is ever lost or corrupted. The suite prints a
 * table of what it injected.
 */
@Tag("faults")
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class FaultInjectionTest {

    /** Seed of the kill moments; {@code -Dfaults.seed=N} explores others. */
    static final long SEED = Long.getLong("faults.seed", 6L);
    static final int KILLS = 10;
    static final long RUN_TIMEOUT_S = 240;

    /** A run small enough for seconds: 3 classes x 12 images, 64-96 px crops, batch 6, 2 epochs = 12 steps. */
    static final String CONFIG = """
            model:
              variant: xxs
              num_classes: 3
              classifier_dropout: 0.1
              transformer_dropout: 0.05
            data:
              root: null
              workers: 1
              prefetch: 2
              interpolation: bilinear
              random_crop: cvnets
            sampler:
              base_size: 64
              min_size: 64
              max_size: 96
              num_scales: 2
              divisible_by: 32
            train:
              epochs: 2
              batch_size: 6
              devices: cpu
              threads: 1
              seed: 0
              label_smoothing: 0.1
              ema_momentum: 0.05
              checkpoint_every: 1
              keep_checkpoints: 3
              log_every: 1
            optim:
              lr: 0.002
              weight_decay: 0.01
              betas: [0.9, 0.999]
              eps: 1.0e-8
            schedule:
              warmup_iterations: 3
              warmup_init_lr: 0.0002
              min_lr: 0.0002
              mode: epoch
            eval:
              resize: 72
              crop: 64
              batch_size: 5
            """;

    static final Pattern ITER = Pattern.compile("epoch (\\d+)/(\\d+)\\s+iter (\\d+)/(\\d+)\\s");
    static final Pattern EPOCH_DONE = Pattern.compile("epoch (\\d+)/(\\d+) done:");
    static final Pattern TEMP_CHECKPOINT = Pattern.compile("\\.e\\d{4,}-i\\d{6,}\\..+");

    @TempDir(cleanup = CleanupMode.ON_SUCCESS)
    static Path tmp;

    static final FaultTable TABLE = new FaultTable();
    static long suiteStart;
    static Cli cli;
    static Path config;
    static Path data;
    static Path reference;
    /** From the reference run: shortest time between two step log lines, and a validation's duration. */
    static double stepGapMs;
    static double validationMs;
    /** The checkpoints the reference run wrote, in order; the last one ends the run. */
    static List<String> referenceCheckpoints;

    @BeforeAll
    static void referenceRun() throws IOException {
        suiteStart = System.nanoTime();
        cli = new Cli(tmp, Files.createDirectories(tmp.resolve("cache")));
        config = Files.writeString(tmp.resolve("fault.yaml"), CONFIG);
        data = tmp.resolve("data");
        Cli.Result synth = cli.run(60, "synth", "--output", data.toString(), "--classes", "3", "--train-per-class", "12",
                "--val-per-class", "4", "--seed", "5");
        assertEquals(0, synth.exitCode(), synth::describe);

        reference = tmp.resolve("reference");
        Cli.Result ref = cli.run(RUN_TIMEOUT_S, train(reference));
        assertEquals(0, ref.exitCode(), ref::describe);
        assertEquals(List.of(), ref.errorLines());
        assertEquals(3, Files.readAllLines(reference.resolve("metrics.csv")).size(), "header and two epochs");
        assertEquals("e0002-i000000", RunFiles.pointer(reference, "last.json"));
        assertNull(RunFiles.verify(RunFiles.checkpointsDir(reference).resolve("e0002-i000000")));
        assertEquals(List.of(), RunFiles.leftovers(reference));

        List<Cli.Line> lines = ref.stderr();
        double minGap = Double.MAX_VALUE;
        double val = 0;
        Cli.Line previous = null;
        for (Cli.Line l : lines) {
            Matcher m = ITER.matcher(l.text());
            if (m.find()) {
                if (previous != null && !m.group(3).equals("1")) {
                    minGap = Math.min(minGap, (l.nanos() - previous.nanos()) / 1e6);
                }
                previous = m.group(3).equals(m.group(4)) ? null : l;
                if (m.group(3).equals(m.group(4))) {
                    Cli.Line end = lines.stream().filter(x -> x.nanos() >= l.nanos()
                            && EPOCH_DONE.matcher(x.text()).find()).findFirst().orElseThrow();
                    val = Math.max(val, (end.nanos() - l.nanos()) / 1e6);
                }
            }
        }
        stepGapMs = minGap;
        validationMs = val;
        List<String> written = new ArrayList<>();
        for (Cli.Line l : lines) {
            Matcher m = ITER.matcher(l.text());
            Matcher done = EPOCH_DONE.matcher(l.text());
            if (m.find() && !m.group(3).equals(m.group(4))) {
                written.add(checkpointName(Integer.parseInt(m.group(1)) - 1, Integer.parseInt(m.group(3))));
            } else if (done.find()) {
                written.add(checkpointName(Integer.parseInt(done.group(1)), 0));
            }
        }
        referenceCheckpoints = List.copyOf(written);
        assertEquals(12, referenceCheckpoints.size(), written::toString);
        assertEquals("e0002-i000000", referenceCheckpoints.get(referenceCheckpoints.size() - 1));
        System.out.printf(Locale.ROOT, "[faults] reference run: %d steps, shortest step+checkpoint %.0f ms, "
                + "validation %.0f ms; kill seed %d%n", lines.stream().filter(l -> ITER.matcher(l.text()).find()).count(),
                stepGapMs, validationMs, SEED);
        assertTrue(stepGapMs > 0 && stepGapMs < 60_000 && validationMs > 0, "timings of the reference run");
    }

    @AfterAll
    static void printTable() {
        if (suiteStart != 0) {
            TABLE.print(Path.of("target", "fault-injection-summary.txt"), (System.nanoTime() - suiteStart) / 1e9);
        }
    }

    // ------------------------------------------------------------------------------------------------
    // 1. SIGKILL at ten moments

    enum Phase {
        STEP("inside a step"), CHECKPOINT("while saving a checkpoint"), VALIDATION("during validation");

        final String words;

        Phase(String words) {
            this.words = words;
        }
    }

    /** What a run folder held before a launch, to tell what the launch did. */
    record Before(String last, Map<String, Object> folderKeys, Set<String> tempDirs) {
        static Before of(Path run) {
            Map<String, Object> keys = new HashMap<>();
            for (String n : RunFiles.checkpoints(run)) {
                keys.put(n, fileKey(RunFiles.checkpointsDir(run).resolve(n)));
            }
            return new Before(RunFiles.pointer(run, "last.json"), keys, tempCheckpointDirs(run));
        }
    }

    @Test
    @Order(1)
    void killedAtTenMomentsAndRestartedEndsBitwiseLikeTheUninterruptedRun() throws Exception {
        Random rnd = new Random(SEED);
        List<Phase> plan = new ArrayList<>();
        for (int i = 0; i < KILLS; i++) {
            plan.add(i < 4 ? Phase.CHECKPOINT : i < 7 ? Phase.STEP : Phase.VALIDATION);
        }
        Collections.shuffle(plan, rnd);
        Path run = tmp.resolve("killed");
        Map<Phase, Integer> landed = new EnumMap<>(Phase.class);
        Map<Phase, Integer> damagedAfter = new EnumMap<>(Phase.class);
        for (int k = 0; k < KILLS; k++) {
            Phase aim = plan.get(k);
            int skip = aim == Phase.VALIDATION ? 0 : rnd.nextInt(2);
            run = killOnce(k, aim, skip, rnd.nextDouble(), run, landed, damagedAfter);
        }
        // Aims timed from the reference run's speed can miss on a slower or busier machine: a phase
        // that no kill reached gets kills aimed at once at its start, which does not depend on speed.
        int extra = 0;
        for (Phase p : Phase.values()) {
            for (int tries = 0; landed.getOrDefault(p, 0) == 0 && tries < 3; tries++) {
                run = killOnce(KILLS + extra++, p, 0, 0.0, run, landed, damagedAfter);
            }
        }
        Before before = Before.of(run);
        Cli.Result end = cli.run(RUN_TIMEOUT_S, train(run));
        assertEquals(0, end.exitCode(), end::describe);
        assertResumedFrom(end, before.last());
        assertEqualsReference(run);
        for (Phase p : Phase.values()) {
            assertTrue(landed.getOrDefault(p, 0) > 0, "no kill landed " + p.words + ": " + landed
                    + " (the aim needs adjusting for this machine's speed)");
        }
        for (Phase p : Phase.values()) {
            TABLE.add("SIGKILL " + p.words, landed.get(p), landed.get(p), 0, damagedAfter.get(p),
                    "restarted in place each time; final raw+EMA weights, optimizer, metrics.csv bitwise ="
                            + " reference");
        }
    }

    /**
     * One launch of the run, killed at the moment {@code aim}, {@code skip} and {@code fraction} pick.
     *
     * @return the run folder for the next launch: {@code run}, or a fresh one when this launch
     *     finished the run before the kill came (a busy machine can delay the kill past the end;
     *     the finished run must then equal the reference)
     */
    private Path killOnce(int k, Phase aim, int skip, double fraction, Path run, Map<Phase, Integer> landed,
            Map<Phase, Integer> damagedAfter) throws Exception {
        Before before = Before.of(run);
        // Never let the run's final checkpoint complete: it would end the run before ten kills.
        int position = before.last() == null ? -1 : referenceCheckpoints.indexOf(before.last());
        skip = Math.min(skip, referenceCheckpoints.size() - 2 - position);
        Cli.Child child = cli.start(train(run));
        String aimed = aimAndKill(child, run, aim, skip, fraction, before, position);
        Cli.Result r = child.awaitExit(60);
        String finalCheckpoint = referenceCheckpoints.get(referenceCheckpoints.size() - 1);
        if (r.exitCode() == 0 || finalCheckpoint.equals(RunFiles.pointer(run, "last.json"))) {
            System.out.printf(Locale.ROOT, "[faults] kill %2d came too late (%s): the run had finished; it equals"
                    + " the reference, and the next launches start a fresh run folder%n", k + 1, aimed);
            if (r.exitCode() == 0) {
                assertEqualsReference(run);
            }
            return Files.createDirectories(run.resolveSibling("killed-after-" + (k + 1)));
        }
        if (aimed.startsWith("nothing")) {
            fail("kill " + (k + 1) + ": the aimed moment did not come (" + aim.words + ")\n" + r.describe());
        }
        assertEquals(137, r.exitCode(), () -> "SIGKILL ends with 128+9\n" + r.describe());
        assertResumedFrom(r, before.last());
        Landing landing = classify(r, run, before);
        Phase where = landing.phase();
        landed.merge(where, 1, Integer::sum);
        List<String> problems = integrity(run, before);
        damagedAfter.merge(where, problems.size(), Integer::sum);
        System.out.printf(Locale.ROOT, "[faults] kill %2d: aimed %s (%s) -> landed %s; last stderr line: %s;"
                + " last.json -> %s%n", k + 1, aim.words, aimed, landing.describe(), lastProgressLine(r),
                RunFiles.pointer(run, "last.json"));
        assertEquals(List.of(), problems, "after kill " + (k + 1) + " (" + where.words + ")");
        return run;
    }

    /** Watches the child and kills it at the aimed moment; says what it aimed at. */
    private static String aimAndKill(Cli.Child child, Path run, Phase aim, int skip, double fraction, Before before,
            int position) throws InterruptedException {
        // the checkpoint this launch writes after `skip` others; the run's last: kill at once, never miss it
        boolean finalWrite = position + skip + 1 == referenceCheckpoints.size() - 1;
        long deadline = System.nanoTime() + 300_000_000_000L;
        Set<String> seenTemp = new LinkedHashSet<>();
        Set<String> seenLast = new LinkedHashSet<>();
        while (child.isAlive() && System.nanoTime() < deadline) {
            switch (aim) {
                case CHECKPOINT -> {
                    // the (skip+1)-th checkpoint this launch starts writing (its temporary folder; a
                    // ".removed" one is an old checkpoint being pruned)
                    for (String t : tempCheckpointDirs(run)) {
                        if (!before.tempDirs().contains(t) && !t.endsWith(".removed")) {
                            seenTemp.add(t);
                        }
                    }
                    if (seenTemp.size() > skip) {
                        long delay = finalWrite ? 0 : Math.round(fraction * 25);
                        Thread.sleep(delay);
                        child.kill();
                        return "checkpoint " + (skip + 1) + " of this launch, +" + delay + " ms after its folder"
                                + " appeared";
                    }
                }
                case STEP -> {
                    // a moment in the step after the skip-th checkpoint this launch completes
                    String last = RunFiles.pointer(run, "last.json");
                    if (last != null && !last.equals(before.last())) {
                        seenLast.add(last);
                    }
                    boolean started = child.findStderr(s -> s.contains("training MobileViT")) != null;
                    if (started && seenLast.size() >= skip) {
                        long delay = Math.round(fraction * 0.5 * stepGapMs);
                        Thread.sleep(delay);
                        child.kill();
                        return "step after " + (skip == 0 ? "the start" : "checkpoint " + skip + " of this launch")
                                + ", +" + delay + " ms";
                    }
                }
                case VALIDATION -> {
                    Cli.Line epochEnd = child.findStderr(s -> {
                        Matcher m = ITER.matcher(s);
                        return m.find() && m.group(3).equals(m.group(4));
                    });
                    if (epochEnd != null) {
                        Matcher e = ITER.matcher(epochEnd.text());
                        // the last epoch's validation ends the run: kill it at once, never miss it
                        boolean lastEpoch = e.find() && e.group(1).equals(e.group(2));
                        long delay = lastEpoch ? 0 : Math.round(fraction * 0.4 * validationMs);
                        Thread.sleep(delay);
                        child.kill();
                        return "validation, +" + delay + " ms after the epoch's last step";
                    }
                }
                default -> throw new IllegalStateException();
            }
            Thread.sleep(2);
        }
        child.kill();
        return "nothing: the run ended or the aim timed out";
    }

    /** Where a kill landed, and how that shows. */
    record Landing(Phase phase, String detail) {
        String describe() {
            return phase.words + " (" + detail + ")";
        }
    }

    /** Where a kill landed, from what the process printed last and what it left on disk. */
    private static Landing classify(Cli.Result r, Path run, Before before) {
        Set<String> temp = tempCheckpointDirs(run);
        temp.removeAll(before.tempDirs());
        for (String t : temp) {
            if (t.endsWith(".removed")) {
                return new Landing(Phase.CHECKPOINT, "pruning an old checkpoint: " + t + " left");
            }
            String[] files = RunFiles.checkpointsDir(run).resolve(t).toFile().list();
            return new Landing(Phase.CHECKPOINT, "writing: " + t + " left holding "
                    + (files == null ? List.of() : List.of(files)));
        }
        String last = RunFiles.pointer(run, "last.json");
        for (String n : RunFiles.checkpoints(run)) {
            boolean newFolder = !fileKey(RunFiles.checkpointsDir(run).resolve(n)).equals(before.folderKeys().get(n));
            if (newFolder && (last == null || RunFiles.order(n) > RunFiles.order(last))) {
                return new Landing(Phase.CHECKPOINT, n + " in place, last.json not yet pointing at it");
            }
        }
        String line = lastProgressLine(r);
        Matcher m = ITER.matcher(line);
        if (m.find() && m.group(3).equals(m.group(4))) {
            return new Landing(Phase.VALIDATION, "the epoch's last step logged, its validation not");
        }
        return new Landing(Phase.STEP, "after " + (last == null ? "the start" : last + " was saved") + ", before the"
                + " next step's log line");
    }

    private static String lastProgressLine(Cli.Result r) {
        String last = "";
        for (String s : r.stderrLines()) {
            if (ITER.matcher(s).find() || EPOCH_DONE.matcher(s).find() || s.contains("training MobileViT")
                    || s.contains("resuming from")) {
                last = s.replaceFirst("^\\S+ INFO\\s+", "");
            }
        }
        return last;
    }

    /**
     * Files lost or corrupted in a run folder after a crash: every checkpoint folder must match its
     * manifest, the pointers must name intact checkpoints and never go back, metrics.csv must be
     * the reference's first rows and config.yaml the reference's.
     */
    private static List<String> integrity(Path run, Before before) throws IOException {
        List<String> problems = new ArrayList<>();
        for (String n : RunFiles.checkpoints(run)) {
            String v = RunFiles.verify(RunFiles.checkpointsDir(run).resolve(n));
            if (v != null) {
                problems.add("corrupted: " + v);
            }
        }
        for (String pointer : List.of("last.json", "best.json")) {
            String target = RunFiles.pointer(run, pointer);
            if (target != null && !RunFiles.checkpoints(run).contains(target)) {
                problems.add("lost: " + pointer + " names " + target + ", which is not there");
            }
        }
        String last = RunFiles.pointer(run, "last.json");
        if (before.last() != null && (last == null || RunFiles.order(last) < RunFiles.order(before.last()))) {
            problems.add("lost: last.json went back from " + before.last() + " to " + last);
        }
        Path metrics = run.resolve("metrics.csv");
        if (!Files.isRegularFile(metrics)) {
            problems.add("lost: metrics.csv");
        } else {
            List<String> got = Files.readAllLines(metrics);
            List<String> expected = Files.readAllLines(reference.resolve("metrics.csv"));
            if (got.isEmpty() || got.size() > expected.size() || !got.equals(expected.subList(0, got.size()))) {
                problems.add("corrupted: metrics.csv is not the reference's first rows: " + got);
            } else if (got.size() > 1) {
                // best.json names the finished epoch with the highest EMA top-1 (the first of equals),
                // or an epoch end saved after it that last.json does not name yet
                int column = List.of(got.get(0).split(",")).indexOf("ema_top1");
                int bestEpoch = 0;
                double bestTop1 = -1;
                for (int i = 1; i < got.size(); i++) {
                    double top1 = Double.parseDouble(got.get(i).split(",")[column]);
                    if (top1 > bestTop1) {
                        bestTop1 = top1;
                        bestEpoch = i;
                    }
                }
                String expectedBest = checkpointName(bestEpoch, 0);
                String best = RunFiles.pointer(run, "best.json");
                boolean ahead = best != null && last != null && best.endsWith("-i000000")
                        && RunFiles.order(best) > RunFiles.order(last);
                if (!expectedBest.equals(best) && !ahead) {
                    problems.add("lost: best.json names " + best + ", not " + expectedBest);
                }
            }
        }
        if (!Files.isRegularFile(run.resolve("config.yaml")) || !Files.readString(run.resolve("config.yaml"))
                .equals(Files.readString(reference.resolve("config.yaml")))) {
            problems.add("corrupted or lost: config.yaml");
        }
        return problems;
    }

    // ------------------------------------------------------------------------------------------------
    // 2. A write failure while checkpointing

    @Test
    @Order(2)
    void aFullDiskWhileCheckpointingStopsTheRunAndKeepsThePreviousCheckpoint() throws Exception {
        Path run = tmp.resolve("disk-full");
        Cli.Child child = cli.start(train(run));
        String good = null;
        Set<String> completed = new LinkedHashSet<>();
        long deadline = System.nanoTime() + 300_000_000_000L;
        while (child.isAlive() && completed.size() < 2 && System.nanoTime() < deadline) {
            String last = RunFiles.pointer(run, "last.json");
            if (last != null) {
                completed.add(last);
                good = last;
            }
            Thread.sleep(2);
        }
        assertTrue(child.isAlive(), "the run ended before two checkpoints");
        // From now on every write past 1 MiB fails (EFBIG), as on a full disk: a checkpoint's
        // weights are ~4 MB, the log lines and pointers are small.
        Process limit = new ProcessBuilder("prlimit", "--pid", Long.toString(child.pid()), "--fsize=1048576:")
                .redirectErrorStream(true).start();
        String limitOut = new String(limit.getInputStream().readAllBytes());
        assertEquals(0, limit.waitFor(), "prlimit (util-linux) imposes the file size limit: " + limitOut);
        Cli.Result r = child.awaitExit(120);

        assertEquals(5, r.exitCode(), r::describe);
        assertOneErrorLineLast(r);
        String error = r.errorLines().get(0);
        String kept = RunFiles.pointer(run, "last.json");
        assertTrue(RunFiles.order(kept) >= RunFiles.order(good), "last.json did not go back");
        Matcher failed = Pattern.compile("checkpoint \\S*/checkpoints/(e\\d{4,}-i\\d{6,})").matcher(error);
        assertTrue(failed.find(), "the message names the checkpoint it could not write: " + error);
        assertTrue(RunFiles.order(failed.group(1)) > RunFiles.order(kept), error);
        assertTrue(error.contains("(file too large)") && error.endsWith("; the previous checkpoint "
                + RunFiles.checkpointsDir(run).resolve(kept) + " is intact"), error);
        for (String n : RunFiles.checkpoints(run)) {
            assertNull(RunFiles.verify(RunFiles.checkpointsDir(run).resolve(n)));
        }
        assertEquals(List.of(), RunFiles.leftovers(run), "the half-written checkpoint is removed");

        Path report = tmp.resolve("disk-full-eval.json");
        Cli.Result eval = cli.run(RUN_TIMEOUT_S, "eval", "--data", data.toString(), "--checkpoint", run.toString(),
                "--report", report.toString());
        assertEquals(0, eval.exitCode(), eval::describe);
        JsonObject results = JsonParser.parseString(Files.readString(report)).getAsJsonObject()
                .getAsJsonObject("results");
        assertEquals(Set.of("ema", "raw"), results.keySet());

        Cli.Result resumed = cli.run(RUN_TIMEOUT_S, train(run));
        assertEquals(0, resumed.exitCode(), resumed::describe);
        assertResumedFrom(resumed, kept);
        assertEqualsReference(run);
        TABLE.add("disk full (EFBIG) writing a checkpoint", 1, 1, 0, 0,
                "exit 5, one line naming " + failed.group(1) + "; " + kept
                        + " intact, loads in eval; resumed run = reference");
    }

    // ------------------------------------------------------------------------------------------------
    // 3. SIGTERM, and damaged checkpoints

    /** The run SIGTERM stopped; the damaged-checkpoint tests below damage copies of its folder. */
    record Terminated(Path run, Cli.Result result) {}

    private static Terminated terminated;

    /** Starts a run and sends it SIGTERM once it has saved e0001-i000002; once per suite. */
    private static synchronized Terminated terminated() throws Exception {
        if (terminated == null) {
            Path base = tmp.resolve("terminated");
            Cli.Child child = cli.start(train(base));
            long deadline = System.nanoTime() + 300_000_000_000L;
            while (child.isAlive() && System.nanoTime() < deadline) {
                String last = RunFiles.pointer(base, "last.json");
                if (last != null && RunFiles.order(last) >= RunFiles.order("e0001-i000002")) {
                    break;
                }
                Thread.sleep(2);
            }
            child.terminate();
            terminated = new Terminated(base, child.awaitExit(120));
        }
        return terminated;
    }

    /** The SIGTERM run's checkpoints, oldest first; a damaged newest one has older ones to fall back to. */
    private static List<String> terminatedCheckpoints() throws Exception {
        List<String> names = RunFiles.checkpoints(terminated().run());
        assertTrue(names.size() >= 3, "checkpoints to fall back to: " + names);
        return names;
    }

    @Test
    @Order(3)
    void sigtermSavesTheStepItEndedAndTheResumedRunEqualsTheUninterruptedOne() throws Exception {
        Path base = terminated().run();
        Cli.Result term = terminated().result();
        assertEquals(143, term.exitCode(), () -> "SIGTERM ends with 128+15\n" + term.describe());
        Matcher stopped = Pattern.compile("stopped after step (\\d+)").matcher(term.stderrText());
        assertTrue(stopped.find(), term::describe);
        String last = RunFiles.pointer(base, "last.json");
        assertEquals(Integer.parseInt(stopped.group(1)), globalStep(base, last), "the stop saved the step it ended");
        List<String> names = terminatedCheckpoints();
        for (String n : names) {
            assertNull(RunFiles.verify(RunFiles.checkpointsDir(base).resolve(n)));
        }
        assertEquals(List.of(), RunFiles.leftovers(base));

        Path resumed = copy(base, "terminated-resumed");
        Cli.Result r = cli.run(RUN_TIMEOUT_S, train(resumed));
        assertEquals(0, r.exitCode(), r::describe);
        assertResumedFrom(r, last);
        assertEqualsReference(resumed);
        TABLE.add("SIGTERM mid-epoch", 1, 1, 0, 0, "exit 143 after saving step " + stopped.group(1)
                + "; resumed run = reference");
    }

    /** Four ways to damage one file of a checkpoint, and what the refusal must name. */
    enum Damage {
        TRUNCATED("checkpoint file truncated", "model.safetensors", "truncated"),
        BYTE_FLIPPED("one byte flipped in a checkpoint file", "ema.safetensors", "SHA-256"),
        MISSING("checkpoint file missing", "optimizer.safetensors", "missing"),
        WRONG_SHAPE("state.json edited to a wrong shape", "state.json", "state.json");

        final String words;
        final String file;
        final String message;

        Damage(String words, String file, String message) {
            this.words = words;
            this.file = file;
            this.message = message;
        }

        void inflict(Path checkpoint) throws IOException {
            Path f = checkpoint.resolve(file);
            switch (this) {
                case TRUNCATED -> {
                    try (RandomAccessFile raf = new RandomAccessFile(f.toFile(), "rw")) {
                        raf.setLength(raf.length() / 2);
                    }
                }
                case BYTE_FLIPPED -> {
                    try (RandomAccessFile raf = new RandomAccessFile(f.toFile(), "rw")) {
                        long at = raf.length() - 1000; // inside the last tensor's data
                        raf.seek(at);
                        int b = raf.read();
                        raf.seek(at);
                        raf.write(b ^ 0x01);
                    }
                }
                case MISSING -> Files.delete(f);
                case WRONG_SHAPE -> {
                    String s = Files.readString(f);
                    String edited = s.replaceFirst("\"global_step\": (\\d+)", "\"global_step\": [$1]")
                            .replaceFirst("\\s*\"epoch\": \\d+,", "");
                    assertTrue(!edited.equals(s) && JsonParser.parseString(edited).isJsonObject());
                    Files.writeString(f, edited);
                }
                default -> throw new IllegalStateException();
            }
        }
    }

    /** The newest checkpoint damaged: eval refuses it, train falls back to the one before. */
    @ParameterizedTest
    @EnumSource(Damage.class)
    @Order(4)
    void aDamagedNewestCheckpointIsRefusedByEvalAndSkippedByTrain(Damage d) throws Exception {
        Path base = terminated().run();
        List<String> names = terminatedCheckpoints();
        String last = RunFiles.pointer(base, "last.json");
        String older = names.get(names.size() - 2);
        Path run = copy(base, "damaged-" + d.file);
        Path victim = RunFiles.checkpointsDir(run).resolve(last);
        d.inflict(victim);

        Cli.Result eval = cli.run(RUN_TIMEOUT_S, "eval", "--data", data.toString(), "--checkpoint",
                victim.toString(), "--report", tmp.resolve("unused.json").toString());
        assertEquals(4, eval.exitCode(), eval::describe);
        assertOneErrorLineLast(eval);
        String refusal = eval.errorLines().get(0);
        assertTrue(refusal.contains(last) && refusal.contains(d.file) && refusal.contains(d.message),
                "eval names the checkpoint and the file: " + refusal);

        Cli.Result t = cli.run(RUN_TIMEOUT_S, train(run));
        assertEquals(0, t.exitCode(), t::describe);
        String warning = t.stderrLines().stream().filter(s -> s.contains("refusing damaged checkpoint"))
                .findFirst().orElse(null);
        assertNotNull(warning, () -> "train says it refuses the damaged checkpoint\n" + t.describe());
        assertTrue(warning.contains(last) && warning.contains(d.file) && warning.contains("WARN"), warning);
        assertResumedFrom(t, older);
        assertEqualsReference(run);
        TABLE.add(d.words, 1, 1, 1, 0, "eval: exit 4 naming " + d.file + "; train: warns, resumes from "
                + older + ", result = reference");
    }

    /** Every checkpoint damaged: nothing to resume from, and train says so instead of starting afresh. */
    @Test
    @Order(5)
    void everyCheckpointDamagedIsRefusedByTrainAndEvalAndNothingIsOverwritten() throws Exception {
        List<String> names = terminatedCheckpoints();
        Path run = copy(terminated().run(), "all-damaged");
        for (String n : names) {
            Path f = RunFiles.checkpointsDir(run).resolve(n).resolve("model.safetensors");
            try (RandomAccessFile raf = new RandomAccessFile(f.toFile(), "rw")) {
                raf.setLength(raf.length() - 1);
            }
        }
        Map<String, String> hashes = RunFiles.hashTree(RunFiles.checkpointsDir(run));
        Cli.Result t = cli.run(RUN_TIMEOUT_S, train(run));
        assertEquals(4, t.exitCode(), t::describe);
        assertOneErrorLineLast(t);
        assertTrue(t.errorLines().get(0).contains("every checkpoint in"), t::describe);
        assertEquals(names.size(), t.stderrLines().stream().filter(s -> s.contains("refusing damaged checkpoint"))
                .count(), t::describe);
        assertEquals(hashes, RunFiles.hashTree(RunFiles.checkpointsDir(run)), "nothing was overwritten");
        Cli.Result eval = cli.run(RUN_TIMEOUT_S, "eval", "--data", data.toString(), "--checkpoint", run.toString(),
                "--report", tmp.resolve("unused.json").toString());
        assertEquals(4, eval.exitCode(), eval::describe);
        assertOneErrorLineLast(eval);
        assertTrue(eval.errorLines().get(0).contains("model.safetensors"), eval::describe);
        TABLE.add("every checkpoint damaged", 1, 0, 1, 0, "train and eval: exit 4, one line; nothing overwritten");
    }

    // ------------------------------------------------------------------------------------------------
    // 4. NaN loss

    @Test
    @Order(6)
    void aNonFiniteLossStopsWithExitCode3AndTouchesNoCheckpoint() throws Exception {
        Path run = tmp.resolve("nan");
        Cli.Child child = cli.start(train(run, "--set", "optim.lr=1e6", "--set", "train.keep_checkpoints=100"));
        // each checkpoint's bytes as soon as it is complete (renamed into place)
        Map<String, Map<String, String>> seen = new LinkedHashMap<>();
        while (child.isAlive()) {
            for (String n : RunFiles.checkpoints(run)) {
                if (!seen.containsKey(n)) {
                    seen.put(n, RunFiles.hashTree(RunFiles.checkpointsDir(run).resolve(n)));
                }
            }
            Thread.sleep(5);
        }
        Cli.Result r = child.awaitExit(60);
        assertEquals(3, r.exitCode(), r::describe);
        assertOneErrorLineLast(r);
        String error = r.errorLines().get(0);
        // which comes first depends on the CPU's float32 kernels: a non-finite loss, or the
        // non-finite gradient of a huge finite one
        Matcher m = Pattern.compile("(loss is (NaN|Infinity|-Infinity)|the gradient is not finite) at step (\\d+)")
                .matcher(error);
        assertTrue(m.find(), error);
        int failedStep = Integer.parseInt(m.group(3));

        List<String> names = RunFiles.checkpoints(run);
        assertEquals(names, List.copyOf(seen.keySet()), "every checkpoint was seen complete while the run was alive");
        String last = RunFiles.pointer(run, "last.json");
        assertEquals(names.get(names.size() - 1), last);
        assertEquals(failedStep, globalStep(run, last),
                "the last checkpoint holds the steps before the failing one, and nothing after it was saved");
        for (String n : names) {
            Path dir = RunFiles.checkpointsDir(run).resolve(n);
            assertEquals(seen.get(n), RunFiles.hashTree(dir), n + " is byte for byte what was first written");
            assertNull(RunFiles.verify(dir));
            for (String f : List.of("model.safetensors", "ema.safetensors", "optimizer.safetensors")) {
                assertEquals(0, RunFiles.nonFinite(dir.resolve(f)), n + "/" + f + " holds only finite numbers");
            }
        }
        assertEquals(List.of(), RunFiles.leftovers(run));
        Cli.Result eval = cli.run(RUN_TIMEOUT_S, "eval", "--data", data.toString(), "--checkpoint", run.toString(),
                "--report", tmp.resolve("nan-eval.json").toString());
        assertEquals(0, eval.exitCode(), eval::describe);
        TABLE.add("NaN/inf loss or gradient (optim.lr=1e6)", 1, 0, 1, 0, "exit 3 at step " + failedStep + "; " + last
                + " byte-identical, finite, loads in eval");
    }

    // ------------------------------------------------------------------------------------------------
    // 5. Broken images, bad configurations

    @Test
    @Order(7)
    void brokenImagesAreSkippedAndCountedThroughTrainAndEval() throws Exception {
        Path corpus = tmp.resolve("corpus");
        Cli.Result synth = cli.run(60, "synth", "--output", corpus.toString(), "--classes", "3", "--train-per-class",
                "12", "--val-per-class", "4", "--seed", "7");
        assertEquals(0, synth.exitCode(), synth::describe);
        for (String split : List.of("train", "val")) {
            Path classDir;
            try (Stream<Path> s = Files.list(corpus.resolve(split))) {
                classDir = s.sorted().findFirst().orElseThrow();
            }
            Path good;
            try (Stream<Path> s = Files.list(classDir)) {
                good = s.sorted().findFirst().orElseThrow();
            }
            BadImages.write(classDir, good);
        }
        Path run = tmp.resolve("corpus-run");
        Cli.Result t = cli.run(RUN_TIMEOUT_S, "train", "--config", config.toString(), "--data", corpus.toString(),
                "--output", run.toString(), "--set", "train.epochs=1", "--set", "train.checkpoint_every=0");
        assertEquals(0, t.exitCode(), t::describe);
        assertEquals(List.of(), t.errorLines());
        assertNoStackTrace(t);
        List<String> rows = Files.readAllLines(run.resolve("metrics.csv"));
        assertEquals(2, rows.size(), rows::toString);
        List<String> header = List.of(rows.get(0).split(","));
        String[] row = rows.get(1).split(",");
        // An epoch takes every file once, and fills its last batch by wrapping round to the start
        // of its permutation: the skipped count is every unreadable file taken, each listed.
        int files = 3 * 12 + BadImages.READABLE.size() + BadImages.UNREADABLE.size();
        int unreadable = BadImages.UNREADABLE.size();
        long trained = Long.parseLong(row[header.indexOf("images")]);
        long skippedTrain = Long.parseLong(row[header.indexOf("skipped_train")]);
        List<String> skippedList = Files.readAllLines(run.resolve("skipped-epoch-0.txt")).stream()
                .filter(l -> !l.isBlank()).toList();
        assertEquals(Set.copyOf(BadImages.UNREADABLE), names(skippedList), "exactly the unreadable files are skipped");
        assertEquals(skippedList.size(), skippedTrain, rows::toString);
        assertTrue(skippedTrain >= unreadable && trained >= files - unreadable && trained + skippedTrain >= files,
                rows::toString);
        assertEquals(Integer.toString(unreadable), row[header.indexOf("skipped_val")], rows::toString);
        List<String> skippedVal = Files.readAllLines(run.resolve("skipped-val.txt")).stream()
                .filter(l -> !l.isBlank()).toList();
        assertEquals(unreadable, skippedVal.size());
        assertEquals(Set.copyOf(BadImages.UNREADABLE), names(skippedVal));
        // the files that claim too many pixels (claims_WxH.*) are refused by their header, not decoded
        Set<String> crafted = Set.of("claims_65000x65000.JPEG", "claims_20000x20000.png");
        for (String line : Stream.concat(skippedList.stream(), skippedVal.stream()).toList()) {
            String name = Path.of(line.split("\t")[0]).getFileName().toString();
            if (crafted.contains(name)) {
                assertEquals(name.substring(0, name.indexOf('.')).replace('_', ' ') + BadImages.OVER_THE_LIMIT,
                        line.split("\t")[1], line);
            }
        }

        Path report = tmp.resolve("corpus-eval.json");
        Cli.Result e = cli.run(RUN_TIMEOUT_S, "eval", "--data", corpus.toString(), "--checkpoint", run.toString(),
                "--report", report.toString());
        assertEquals(0, e.exitCode(), e::describe);
        assertNoStackTrace(e);
        JsonObject json = JsonParser.parseString(Files.readString(report)).getAsJsonObject();
        assertEquals(unreadable, json.get("skipped").getAsInt());
        int readableVal = 3 * 4 + BadImages.READABLE.size();
        for (String w : List.of("ema", "raw")) {
            assertEquals(readableVal, json.getAsJsonObject("results").getAsJsonObject(w).get("images").getAsInt(),
                    json::toString);
        }
        assertTrue(e.stdoutText().contains(unreadable + " unreadable image(s) skipped"), e::stdoutText);
        TABLE.add("broken images (" + (unreadable - crafted.size() + BadImages.READABLE.size())
                + " kinds + a folder named .JPEG)", 2, 2, 0, 0, "train+eval exit 0; " + (unreadable - crafted.size())
                + " unreadable skipped and counted (metrics.csv, report), " + BadImages.READABLE.size()
                + " odd ones used");
        TABLE.add("image headers claiming 65000x65000 (JPEG), 20000x20000 (PNG)", 2, 2, 0, 0, "train+eval exit 0; "
                + "skipped and counted before decoding, in train/ and val/: 'claims WxH" + BadImages.OVER_THE_LIMIT
                + "'");
    }

    @Test
    @Order(8)
    void badConfigurationsAreOneLineErrorsWithExitCode2() throws Exception {
        Path yaml = Files.createDirectories(tmp.resolve("bad-configs"));
        record Bad(String what, String message, List<String> args) {}
        List<Bad> cases = List.of(
                new Bad("unknown key in the file", "unknown key train.epochz",
                        trainWith(yaml, "unknown.yaml", CONFIG.replace("  epochs: 2", "  epochz: 2"))),
                new Bad("unknown key in --set", "unknown key optim.learning_rate",
                        List.of(train(yaml.resolve("r"), "--set", "optim.learning_rate=0.1"))),
                new Bad("wrong type", "train.batch_size must be an integer, got 'six'",
                        List.of(train(yaml.resolve("r"), "--set", "train.batch_size=six"))),
                new Bad("negative batch size", "train.batch_size must be >= 1, got -6",
                        List.of(train(yaml.resolve("r"), "--set", "train.batch_size=-6"))),
                new Bad("negative crop size", "eval.crop must be >= 32, got -64",
                        List.of(train(yaml.resolve("r"), "--set", "eval.crop=-64"))),
                new Bad("scale not divisible by 32", "sampler.max_size (100) is not divisible by sampler.divisible_by",
                        List.of(train(yaml.resolve("r"), "--set", "sampler.max_size=100"))),
                new Bad("smallest scale above the largest", "sampler.min_size (128) exceeds sampler.max_size (96)",
                        List.of(train(yaml.resolve("r"), "--set", "sampler.min_size=128"))),
                new Bad("crop larger than resize", "eval.crop (96) exceeds eval.resize (72)",
                        List.of(train(yaml.resolve("r"), "--set", "eval.crop=96"))),
                new Bad("unknown variant", "model.variant must be one of xxs, xs, s, got 'xxl'",
                        List.of(train(yaml.resolve("r"), "--set", "model.variant=xxl"))),
                new Bad("bad devices", "devices 'tpu0' not understood",
                        List.of(train(yaml.resolve("r"), "--devices", "tpu0"))),
                new Bad("a GPU this machine lacks", "devices 'gpu99' needs gpu99",
                        List.of(train(yaml.resolve("r"), "--devices", "gpu99"))),
                new Bad("infinite learning rate", "optim.lr must be a finite number",
                        List.of(train(yaml.resolve("r"), "--set", "optim.lr=.inf"))),
                new Bad("betas of the wrong length", "optim.betas must be a list of 2 numbers",
                        List.of(train(yaml.resolve("r"), "--set", "optim.betas=[0.9]"))),
                new Bad("data path not given", "data.root is not set",
                        List.of("train", "--config", config.toString(), "--output", yaml.resolve("r").toString())),
                new Bad("data path missing", "does not exist",
                        List.of("train", "--config", config.toString(), "--data", tmp.resolve("no-data").toString(),
                                "--output", yaml.resolve("r").toString())),
                new Bad("more classes in the data than the model", "has 3 classes but model.num_classes is 2",
                        List.of(train(yaml.resolve("r"), "--set", "model.num_classes=2"))),
                new Bad("config file missing", "config file " + yaml.resolve("absent.yaml") + " does not exist",
                        List.of("train", "--config", yaml.resolve("absent.yaml").toString(), "--data", data.toString())),
                new Bad("not YAML", "is not valid YAML", trainWith(yaml, "broken.yaml", "model: [xxs\ntrain: {\n")),
                new Bad("top-level key outside a section", "top-level key epochs must be a section",
                        trainWith(yaml, "flat.yaml", "epochs: 3\n")));
        List<String> failures = new ArrayList<>();
        for (Bad b : cases) {
            Cli.Result r = cli.run(120, b.args().toArray(String[]::new));
            List<String> err = r.stderrLines();
            if (r.exitCode() != 2 || err.size() != 1 || !err.get(0).startsWith("error: ")
                    || !err.get(0).contains(b.message())) {
                failures.add(b.what() + ": expected exit 2 and one line containing '" + b.message() + "'; "
                        + r.describe());
            }
        }
        assertEquals(List.of(), failures);
        assertTrue(cases.size() >= 10);
        TABLE.add("bad configurations (" + cases.size() + " kinds)", cases.size(), 0, cases.size(), 0,
                "exit 2, exactly one line on stderr, no stack trace");
    }

    /**
     * SIGTERM (as SIGINT: the same hook) right after an epoch's last step, while it validates,
     * saves and draws its plots: the run ends with the same saved-and-resume line as a stop during
     * a step, and the resumed run equals the reference.
     */
    @Test
    @Order(9)
    void aSignalDuringValidationSavesTheEpochAndTheResumedRunEqualsTheUninterruptedOne() throws Exception {
        Path run = tmp.resolve("signal-in-validation");
        Cli.Child child = cli.start(train(run));
        Cli.Line lastStep = child.awaitStderr(l -> l.contains("epoch 1/2") && l.contains("iter 6/6"), RUN_TIMEOUT_S);
        assertNotNull(lastStep, "the first epoch's last step");
        long signalled = System.nanoTime();
        child.terminate();
        Cli.Result r = child.awaitExit(120);
        assertEquals(143, r.exitCode(), r::describe);
        assertEquals(List.of(), r.errorLines(), r::describe);
        assertTrue(r.stderrText().contains("stopped after epoch 1; resume with the same command"), r::describe);
        Cli.Line done = r.stderr().stream().filter(l -> EPOCH_DONE.matcher(l.text()).find()).findFirst().orElseThrow();
        String landed = signalled < done.nanos() ? "during validation" : "after validation (saving or plotting)";
        assertEquals("e0001-i000000", RunFiles.pointer(run, "last.json"));
        for (String plot : RunPlots.FILES) {
            assertTrue(Files.size(run.resolve("plots").resolve(plot)) > 0, () -> "the epoch's plot " + plot);
        }
        Cli.Result resumed = cli.run(RUN_TIMEOUT_S, train(run));
        assertEquals(0, resumed.exitCode(), resumed::describe);
        assertResumedFrom(resumed, "e0001-i000000");
        assertEqualsReference(run);
        TABLE.add("SIGTERM/SIGINT at an epoch's end", 1, 1, 0, 0, "landed " + landed + "; exit 143, 'stopped after"
                + " epoch 1', plots drawn; resumed run = reference");
    }

    /** A Java heap too small for an image: one line naming MOBILEVIT_JAVA_OPTS=-Xmx, no stack trace. */
    @Test
    @Order(10)
    void runningOutOfHeapIsOneLineNamingTheSetting() throws Exception {
        Path png = Files.write(tmp.resolve("9000x9000.png"), BadImages.blackPng(9000, 9000));
        Path weights = RunFiles.checkpointsDir(reference).resolve("e0002-i000000").resolve("ema.safetensors");
        Cli.Result r = cli.startWithHeap("128m", "predict", "--weights", weights.toString(), "--variant", "xxs",
                "--classes", "3", png.toString()).awaitExit(RUN_TIMEOUT_S);
        assertEquals(1, r.exitCode(), r::describe);
        assertOneErrorLineLast(r);
        String line = r.errorLines().get(0);
        assertTrue(line.startsWith("error: out of memory (Java heap space) with a Java heap of at most")
                && line.contains("MOBILEVIT_JAVA_OPTS=-Xmx"), line);
        TABLE.add("Java heap too small (predict, -Xmx128m, 9000x9000 PNG)", 1, 0, 1, 0,
                "exit 1, one line naming MOBILEVIT_JAVA_OPTS=-Xmx");
    }

    // ------------------------------------------------------------------------------------------------
    // 6. Two trainers in one run folder

    @Test
    @Order(11)
    void aSecondTrainInARunningRunFolderIsRefusedNamingTheFirstAndTouchesNothing() throws Exception {
        Path run = tmp.resolve("two-trainers");
        Cli.Child first = cli.start(train(run));
        first.awaitStderr(s -> ITER.matcher(s).find(), 300);
        assertTrue(first.isAlive(), "the first train is running its steps");
        // held still until the second has ended, so that it cannot finish first on a fast machine
        first.signal("STOP");
        long started = System.nanoTime();
        Cli.Result second;
        try {
            second = cli.run(RUN_TIMEOUT_S, train(run, "--set", "train.seed=1"));
        } finally {
            first.signal("CONT");
        }
        System.out.printf(Locale.ROOT, "[faults] two trainers: the second ended %.1f s after its start%n",
                (System.nanoTime() - started) / 1e9);
        Cli.Result end = first.awaitExit(RUN_TIMEOUT_S);

        assertEquals(2, second.exitCode(), second::describe);
        assertEquals(List.of("error: run folder " + run + " is in use by another train (PID " + first.pid()
                + "); wait for it or give another --output"), second.stderrLines(), second::describe);
        assertEquals(0, end.exitCode(), end::describe);
        assertResumedFrom(end, null);
        assertEqualsReference(run);
        assertEquals(Files.readString(reference.resolve("config.yaml")), Files.readString(run.resolve("config.yaml")),
                "config.yaml is the first's (the second's has train.seed: 1)");
        assertEquals(Files.readAllLines(reference.resolve("log.jsonl")).size(),
                Files.readAllLines(run.resolve("log.jsonl")).size(), "log.jsonl holds the first's lines only");
        assertEquals(first.pid() + "\n", Files.readString(run.resolve(RunFiles.LOCK)), "the lock file names the first");
        TABLE.add("a second train in a running run folder", 1, 1, 1, 0, "second: exit 2, one line naming the"
                + " first's PID; first: exit 0, = reference (config.yaml and log.jsonl its own)");
    }

    // ------------------------------------------------------------------------------------------------
    // helpers

    static String[] train(Path run, String... extra) {
        List<String> args = new ArrayList<>(List.of("train", "--config", config.toString(), "--data", data.toString(),
                "--output", run.toString()));
        args.addAll(List.of(extra));
        return args.toArray(String[]::new);
    }

    private static List<String> trainWith(Path dir, String file, String yaml) throws IOException {
        Path f = Files.writeString(dir.resolve(file), yaml);
        return List.of("train", "--config", f.toString(), "--data", data.toString(), "--output",
                dir.resolve("r").toString());
    }

    static String checkpointName(int epoch, int iteration) {
        return String.format(Locale.ROOT, "e%04d-i%06d", epoch, iteration);
    }

    private static Path copy(Path run, String name) {
        Path to = tmp.resolve(name);
        RunFiles.copyTree(run, to);
        return to;
    }

    /** The final state equals the uninterrupted run's, bit for bit. */
    private static void assertEqualsReference(Path run) throws IOException {
        String last = RunFiles.pointer(reference, "last.json");
        assertEquals(last, RunFiles.pointer(run, "last.json"));
        assertEquals(RunFiles.pointer(reference, "best.json"), RunFiles.pointer(run, "best.json"));
        assertEquals(RunFiles.checkpoints(reference), RunFiles.checkpoints(run), "the same checkpoints are kept");
        Path a = RunFiles.checkpointsDir(reference).resolve(last);
        Path b = RunFiles.checkpointsDir(run).resolve(last);
        assertNull(RunFiles.verify(b));
        for (String f : List.of("model.safetensors", "ema.safetensors", "optimizer.safetensors")) {
            assertNull(RunFiles.compareTensors(a.resolve(f), b.resolve(f)));
        }
        assertEquals(Files.readString(a.resolve("state.json")), Files.readString(b.resolve("state.json")));
        assertEquals(Files.readString(reference.resolve("metrics.csv")), Files.readString(run.resolve("metrics.csv")),
                "metrics.csv");
        assertEquals(-1L, Files.mismatch(reference.resolve("metrics.csv"), run.resolve("metrics.csv")));
        for (String n : RunFiles.checkpoints(run)) {
            assertNull(RunFiles.verify(RunFiles.checkpointsDir(run).resolve(n)));
        }
        assertEquals(List.of(), RunFiles.leftovers(run), "no temporary files or folders are left behind");
    }

    /** A launch in a folder with a checkpoint says that it resumes from the one last.json names. */
    private static void assertResumedFrom(Cli.Result r, String checkpoint) {
        boolean resumed = r.stderrLines().stream().anyMatch(s -> s.contains("resuming from "));
        if (checkpoint == null) {
            assertTrue(!resumed, r::describe);
        } else {
            assertTrue(r.stderrLines().stream().anyMatch(s -> s.contains("resuming from ")
                    && s.contains("/checkpoints/" + checkpoint + ":")), () -> "resumes from " + checkpoint + "\n"
                    + r.describe());
        }
    }

    private static void assertOneErrorLineLast(Cli.Result r) {
        assertEquals(1, r.errorLines().size(), r::describe);
        List<String> err = r.stderrLines();
        assertEquals(r.errorLines().get(0), err.get(err.size() - 1), r::describe);
        assertNoStackTrace(r);
    }

    private static void assertNoStackTrace(Cli.Result r) {
        for (String s : r.stderrLines()) {
            assertTrue(!s.matches("\\s+at .*") && !s.startsWith("Caused by") && !s.startsWith("Exception in"),
                    () -> "no stack trace\n" + r.describe());
        }
    }

    private static long globalStep(Path run, String checkpoint) throws IOException {
        return JsonParser.parseString(Files.readString(RunFiles.checkpointsDir(run).resolve(checkpoint)
                .resolve("state.json"))).getAsJsonObject().get("global_step").getAsLong();
    }

    /** The file names of a skipped-images list (path, tab, reason). */
    private static Set<String> names(List<String> list) {
        return list.stream().map(s -> Path.of(s.split("\t")[0]).getFileName().toString()).collect(Collectors.toSet());
    }

    static Set<String> tempCheckpointDirs(Path run) {
        Path dir = RunFiles.checkpointsDir(run);
        if (!Files.isDirectory(dir)) {
            return new LinkedHashSet<>();
        }
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).filter(n -> TEMP_CHECKPOINT.matcher(n).matches())
                    .collect(Collectors.toCollection(LinkedHashSet::new));
        } catch (IOException e) {
            return new LinkedHashSet<>(); // listed while a folder was renamed: the next poll sees it
        }
    }

    static Object fileKey(Path p) {
        try {
            return Files.readAttributes(p, BasicFileAttributes.class).fileKey();
        } catch (IOException e) {
            return "gone";
        }
    }
}
