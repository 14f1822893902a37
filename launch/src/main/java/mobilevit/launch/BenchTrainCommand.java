package mobilevit.launch;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;

import mobilevit.core.UserError;
import mobilevit.model.MemoryFormat;
import mobilevit.model.MobileViT;
import mobilevit.model.Precision;
import mobilevit.model.Variant;
import mobilevit.trainer.step.ReplicaGroup;
import mobilevit.trainer.step.TrainStep;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * {@code bench train}: full training steps (forward, backward, mean gradient, AdamW, EMA) on a
 * fixed random batch, the time of each phase, the process's resident memory after
 * {@code --rss-first} steps and at the end (a leak shows as growth), and, when a python3 with torch
 * is at hand, PyTorch eager's step of the same model on the same batch and threads, in its own best
 * configuration ({@link RuntimeProcess}), alternated with ours in {@code --rounds} rounds, with the
 * ratio of each round and of all. Untimed warm-up steps come first: the JIT, the Java heap and the
 * allocator's pools grow during a process's first steps.
 */
@Command(name = "train", mixinStandardHelpOptions = true,
        description = "Time per training step and per phase, RSS growth, and the ratio to PyTorch eager's step.")
final class BenchTrainCommand implements Runnable {

    /** The PyTorch baseline's step time in its last line, the figure its allocator probe ranks by. */
    private static final String STEP_MS = "torch_step_ms";

    @Option(names = "--variant", defaultValue = "xxs", description = "xxs, xs or s (default ${DEFAULT-VALUE})")
    String variant;

    @Option(names = "--batch", defaultValue = "32", description = "images per replica (default ${DEFAULT-VALUE})")
    int batch;

    @Option(names = "--size", defaultValue = "256", description = "square input side (default ${DEFAULT-VALUE})")
    int size;

    @Option(names = "--steps", defaultValue = "500", description = "steps after the warm-up (default ${DEFAULT-VALUE})")
    int steps;

    @Option(names = "--warmup", defaultValue = "100", description = "untimed steps first (default ${DEFAULT-VALUE})")
    int warmup;

    @Option(names = "--rss-first", defaultValue = "50", description = "step of the first RSS reading; timing starts there (default ${DEFAULT-VALUE})")
    int rssFirst;

    @Option(names = "--devices", defaultValue = "cpu", description = "cpu, cpu:N, gpu0, gpu0-7 (default ${DEFAULT-VALUE})")
    String devices;

    @Option(names = "--threads", defaultValue = "0",
            description = "PyTorch intra-op threads, ours and the baseline's (default ${DEFAULT-VALUE}: PyTorch's default)")
    int threads;

    @Option(names = "--precision", defaultValue = "fp32",
            description = "fp32, or fp16 (float16 compute, float32 master weights, dynamic loss scaling) (default ${DEFAULT-VALUE})")
    String precision;

    @Option(names = "--memory-format", defaultValue = "channels_last",
            description = "channels_last (feature maps stored N, H, W, C, as train.memory_format's default) or contiguous (default ${DEFAULT-VALUE})")
    String memoryFormat;

    /** Untimed steps of ours after each baseline round (at most --warmup). */
    private static final int REWARM_STEPS = 2;

    @Option(names = "--rounds", defaultValue = "3",
            description = "rounds of ours then PyTorch's, alternated; the timed steps are split among them (default ${DEFAULT-VALUE})")
    int rounds;

    @Option(names = "--torch", defaultValue = "auto",
            description = "PyTorch baseline: auto (when a python3 with torch is found), off, or the python to run (default ${DEFAULT-VALUE})")
    String torch;

    @Override
    public void run() {
        Variant v = Args.choice(Variant::parse, variant);
        Args.positive("--batch", batch);
        Args.positive("--steps", steps);
        Args.checkImageSize(size, size);
        if (warmup < 0) {
            throw new UserError("--warmup must not be negative, got " + warmup);
        }
        if (rssFirst < 1 || rssFirst >= steps) {
            throw new UserError("--rss-first must be between 1 and --steps - 1, got " + rssFirst);
        }
        if (threads < 0) {
            throw new UserError("--threads must not be negative, got " + threads);
        }
        var list = Args.devices(devices); // loads the engine
        if (threads > 0) {
            JniUtils.setNumThreads(threads);
        }
        Precision arithmetic = Args.choice(Precision::parse, precision);
        MemoryFormat format = Args.choice(MemoryFormat::parse, memoryFormat);
        Args.positive("--rounds", rounds);
        int timed = steps - rssFirst;
        if (!torch.equals("off") && rounds > timed) {
            throw new UserError("--rounds must be at most the timed steps (--steps - --rss-first = " + timed + "), got "
                    + rounds);
        }
        StringBuilder whyNot = new StringBuilder();
        Optional<RuntimeProcess> baseline = torchBaseline(v, arithmetic, Math.max(2, Math.min(20, timed / rounds)),
                whyNot);
        baseline.ifPresent(b -> System.out.println("PyTorch baseline: " + b.configuration()));
        int alternations = baseline.isPresent() ? rounds : 1;
        MobileViT.Builder builder = MobileViT.builder().setVariant(v);
        Map<String, Double> ours = new LinkedHashMap<>();
        List<Map<String, String>> theirs = new ArrayList<>();
        List<Double> roundRatios = new ArrayList<>();
        try (NDManager manager = NDManager.newBaseManager();
                TrainStep step = TrainStep.builder(list, builder).optEma(0.0005).optPrecision(arithmetic)
                        .optMemoryFormat(format).build()) {
            NDArray images = manager.randomUniform(0, 1, new Shape(batch, 3, size, size));
            NDArray labels = manager.randomInteger(0, 1000, new Shape(batch), DataType.INT64);
            ReplicaGroup.ShardSource source = (r, scope) -> new NDList(images.toDevice(scope.getDevice(), true),
                    labels.toDevice(scope.getDevice(), true));
            for (int i = 0; i < warmup; i++) {
                step.train(source, 0.002);
            }
            System.out.printf(Locale.ROOT, "%d warm-up steps: RSS %.1f MB%n", warmup, rssKb() / 1024.0);
            long rssAtFirst = 0;
            long rssEnd = 0;
            long timedNanos = 0;
            long roundFrom = 0;
            int roundStart = rssFirst;
            long timedImages = 0;
            int round = 0;
            TrainStep.Times phases = new TrainStep.Times();
            for (int i = 1; i <= steps; i++) {
                TrainStep.Result r = step.train(source, 0.002);
                if (i == rssFirst) {
                    rssAtFirst = rssKb();
                    step.resetTimes();
                    System.out.printf(Locale.ROOT, "step %d: RSS %.1f MB%n", i, rssAtFirst / 1024.0);
                    roundFrom = System.nanoTime();
                } else if (i > rssFirst) {
                    timedImages += r.images();
                }
                if (i % Math.max(1, steps / 10) == 0 && i != rssFirst) {
                    System.out.printf(Locale.ROOT, "step %d: loss %.4f  RSS %.1f MB%n", i, r.loss(), rssKb() / 1024.0);
                }
                if (i > rssFirst && i == rssFirst + (long) timed * (round + 1) / alternations) {
                    long roundNanos = System.nanoTime() - roundFrom;
                    add(phases, step.times());
                    if (i == steps) {
                        rssEnd = rssKb(); // before the baseline runs: while it does, jemalloc purges our idle pages
                    }
                    timedNanos += roundNanos;
                    double oursMs = roundNanos / 1e6 / (i - roundStart);
                    int roundSteps = i - roundStart;
                    int thisRound = ++round;
                    baseline.flatMap(b -> b.run(Math.min(warmup, 20), roundSteps)).ifPresent(t -> {
                        theirs.add(t);
                        double torchMs = Double.parseDouble(t.get(STEP_MS));
                        roundRatios.add(torchMs / oursMs);
                        System.out.printf(Locale.ROOT, "round %d of %d, %d steps: ours %.2f ms, PyTorch %.2f ms a step:"
                                + " %.3fx PyTorch's images/s%n", thisRound, alternations, roundSteps, oursMs, torchMs,
                                torchMs / oursMs);
                    });
                    if (baseline.isPresent() && round < alternations) {
                        // while the baseline ran, jemalloc handed our idle pages back (5 s decay): untimed steps
                        // fault them in again, as the baseline's own warm-up does for it
                        for (int w = 0; w < Math.min(warmup, REWARM_STEPS); w++) {
                            step.train(source, 0.002);
                        }
                    }
                    step.resetTimes();
                    roundStart = i;
                    roundFrom = System.nanoTime();
                }
            }
            double seconds = timedNanos / 1e9;
            TrainStep.Times t = phases;
            double total = 1000 * seconds / timed;
            ours.put("step_ms", total);
            ours.put("fwd_bwd_ms", ms(t.forwardBackward, timed));
            ours.put("reduce_ms", ms(t.reduce, timed));
            ours.put("optimizer_ms", ms(t.optimizer, timed));
            ours.put("ema_ms", ms(t.ema, timed));
            double other = total - ours.get("fwd_bwd_ms") - ours.get("reduce_ms") - ours.get("optimizer_ms")
                    - ours.get("ema_ms");
            ours.put("other_ms", other);
            ours.put("train_img_s", timedImages / seconds);
            ours.put("rss_growth_pct", 100.0 * (rssEnd - rssAtFirst) / rssAtFirst);
            System.out.printf(Locale.ROOT, "MobileViT-%s, %d x %d images at %dx%d on %s, %s, %s, steps %d-%d after %d"
                    + " warm-up steps: %.2f images/s (%s)%n", v.name(), list.size(), batch, size, size, devices,
                    arithmetic.id(), step.memoryFormat().id(), rssFirst + 1, steps, warmup, ours.get("train_img_s"),
                    ourAllocator());
            System.out.printf(Locale.ROOT, "per step: forward+backward %.2f ms, reduce %.2f ms, optimizer %.2f ms,"
                    + " EMA %.2f ms, other (zeroing, broadcast, loop) %.2f ms, total %.2f ms (data: a fixed batch)%n",
                    ours.get("fwd_bwd_ms"), ours.get("reduce_ms"), ours.get("optimizer_ms"), ours.get("ema_ms"), other,
                    total);
            System.out.printf(Locale.ROOT, "RSS %.1f MB at step %d, %.1f MB at step %d (%+.2f%%)%n",
                    rssAtFirst / 1024.0, rssFirst, rssEnd / 1024.0, steps, ours.get("rss_growth_pct"));
            if (step.lossScaler() != null) {
                System.out.printf(Locale.ROOT, "fp16: loss scale %.0f, %d of %d steps skipped%n",
                        step.lossScaler().scale(), step.lossScaler().skippedSteps(), warmup + steps);
                ours.put("loss_scale", step.lossScaler().scale());
                ours.put("skipped_steps", (double) step.lossScaler().skippedSteps());
            }
        }
        StringBuilder last = new StringBuilder();
        ours.forEach((k, x) -> last.append(String.format(Locale.ROOT, "%s=%.3f ", k, x)));
        if (baseline.isPresent() && theirs.size() == rounds) {
            Map<String, String> mean = new LinkedHashMap<>(theirs.get(0));
            for (String key : List.of(STEP_MS, "torch_fwd_bwd_ms", "torch_adamw_ms", "torch_ema_ms")) {
                mean.put(key, String.format(Locale.ROOT, "%.3f",
                        theirs.stream().mapToDouble(m -> Double.parseDouble(m.get(key))).average().orElseThrow()));
            }
            mean.remove("torch_train_img_s");
            double torchMs = Double.parseDouble(mean.get(STEP_MS));
            double torchAdamw = Double.parseDouble(mean.get("torch_adamw_ms"));
            double bookkeeping = ours.get("reduce_ms") + ours.get("optimizer_ms") + ours.get("ema_ms");
            String spread = roundRatios.stream().map(x -> String.format(Locale.ROOT, "%.3f", x))
                    .collect(Collectors.joining(", "));
            System.out.printf(Locale.ROOT, "ours / PyTorch eager over %d rounds: step %.3f, (reduce+optimizer+EMA) / AdamW"
                    + " %.3f, images/s %.3f (rounds: %s); PyTorch: %s; %s%n", rounds, ours.get("step_ms") / torchMs,
                    bookkeeping / torchAdamw, torchMs / ours.get("step_ms"), spread,
                    baseline.orElseThrow().configuration(), ourAllocator());
            mean.forEach((k, x) -> last.append(k).append('=').append(x).append(' '));
            last.append(String.format(Locale.ROOT, "step_ratio=%.3f bookkeeping_vs_adamw=%.3f speedup=%.3f"
                    + " speedup_min=%.3f speedup_max=%.3f rounds=%d %s", ours.get("step_ms") / torchMs,
                    bookkeeping / torchAdamw, torchMs / ours.get("step_ms"),
                    roundRatios.stream().mapToDouble(Double::doubleValue).min().orElseThrow(),
                    roundRatios.stream().mapToDouble(Double::doubleValue).max().orElseThrow(), rounds,
                    baseline.orElseThrow().configurationPairs("torch")));
        } else {
            last.append(STEP_MS + "=NA reason=").append(whyNot.length() > 0 ? whyNot : "a_baseline_run_failed");
        }
        System.out.println(last.toString().trim());
    }

    /** Our allocator as this process was started with it (the launcher's jemalloc setting, or glibc). */
    static String ourAllocator() {
        String preload = System.getenv().getOrDefault("LD_PRELOAD", "");
        return preload.contains("jemalloc")
                ? "ours: allocator jemalloc(" + System.getenv().getOrDefault("MALLOC_CONF", "") + ")"
                : "ours: allocator glibc";
    }

    /** Adds the phase times of {@code round} to {@code total}. */
    private static void add(TrainStep.Times total, TrainStep.Times round) {
        total.forwardBackward += round.forwardBackward;
        total.reduce += round.reduce;
        total.optimizer += round.optimizer;
        total.ema += round.ema;
        total.other += round.other;
    }

    private static double ms(long nanos, int steps) {
        return nanos / 1e6 / steps;
    }

    /** The PyTorch baseline, or empty with the reason in {@code whyNot}. */
    private Optional<RuntimeProcess> torchBaseline(Variant v, Precision arithmetic, int probeSteps, StringBuilder whyNot) {
        if (torch.equals("off")) {
            whyNot.append("off");
            return Optional.empty();
        }
        if (arithmetic != Precision.FP32) {
            whyNot.append("launch/torch_step.py_times_fp32_only");
            return Optional.empty();
        }
        if (!devices.equals("cpu")) {
            whyNot.append("the_baseline_runs_one_CPU_replica_only");
            return Optional.empty();
        }
        return RuntimeProcess.probeTorch(torch, RuntimeProcess.torchScript(), List.of("--variant", v.id(), "--batch",
                String.valueOf(batch), "--size", String.valueOf(size)), STEP_MS, JniUtils.getNumThreads(), probeSteps,
                whyNot)
                .map(p -> p.fastestFor(new RuntimeProcess.Figure(STEP_MS, RuntimeProcess.Better.LOWER)));
    }

    /** Resident set size of this process in kB (Linux /proc). */
    static long rssKb() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", ""));
                }
            }
        } catch (IOException e) {
            throw new UserError("cannot read /proc/self/status for the RSS: " + e.getMessage(), 1);
        }
        throw new UserError("no VmRSS in /proc/self/status", 1);
    }
}
