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
import mobilevit.trainer.ReplicaGroup;
import mobilevit.trainer.TrainStep;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * {@code bench train}: full training steps (forward, backward, mean gradient, AdamW, EMA) on a
 * fixed random batch, the time of each phase, the process's resident memory after
 * {@code --rss-first} steps and at the end (a leak shows as growth), and, when a python3 with torch
 * is at hand, PyTorch eager's step of the same model on the same batch, threads and allocator
 * ({@code launch/torch_step.py}), with the ratio. Untimed warm-up steps come first: the JIT, the
 * Java heap and the allocator's pools grow during a process's first steps.
 */
@Command(name = "train", mixinStandardHelpOptions = true,
        description = "Time per training step and per phase, RSS growth, and the ratio to PyTorch eager's step.")
final class BenchTrainCommand implements Runnable {

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
        MobileViT.Builder builder = MobileViT.builder().setVariant(v);
        Map<String, Double> ours = new LinkedHashMap<>();
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
            long timedFrom = 0;
            long timedImages = 0;
            for (int i = 1; i <= steps; i++) {
                TrainStep.Result r = step.train(source, 0.002);
                if (i == rssFirst) {
                    rssAtFirst = rssKb();
                    step.resetTimes();
                    timedFrom = System.nanoTime();
                    System.out.printf(Locale.ROOT, "step %d: RSS %.1f MB%n", i, rssAtFirst / 1024.0);
                } else if (i > rssFirst) {
                    timedImages += r.images();
                }
                if (i % Math.max(1, steps / 10) == 0 && i != rssFirst) {
                    System.out.printf(Locale.ROOT, "step %d: loss %.4f  RSS %.1f MB%n", i, r.loss(), rssKb() / 1024.0);
                }
            }
            int timed = steps - rssFirst;
            double seconds = (System.nanoTime() - timedFrom) / 1e9;
            long rssEnd = rssKb();
            TrainStep.Times t = step.times();
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
                    + " warm-up steps: %.2f images/s%n", v.name(), list.size(), batch, size, size, devices,
                    arithmetic.id(), format.id(), rssFirst + 1, steps, warmup, ours.get("train_img_s"));
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
        Map<String, String> baseline = torchBaseline(v, arithmetic);
        StringBuilder last = new StringBuilder();
        ours.forEach((k, x) -> last.append(String.format(Locale.ROOT, "%s=%.3f ", k, x)));
        if (baseline.containsKey("torch_step_ms")) {
            double torchMs = Double.parseDouble(baseline.get("torch_step_ms"));
            double torchAdamw = Double.parseDouble(baseline.get("torch_adamw_ms"));
            double bookkeeping = ours.get("reduce_ms") + ours.get("optimizer_ms") + ours.get("ema_ms");
            System.out.printf(Locale.ROOT, "ours / PyTorch eager: step %.3f, (reduce+optimizer+EMA) / AdamW %.3f,"
                    + " images/s %.3f%n", ours.get("step_ms") / torchMs, bookkeeping / torchAdamw,
                    torchMs / ours.get("step_ms"));
            baseline.forEach((k, x) -> last.append(k).append('=').append(x).append(' '));
            last.append(String.format(Locale.ROOT, "step_ratio=%.3f bookkeeping_vs_adamw=%.3f speedup=%.3f",
                    ours.get("step_ms") / torchMs, bookkeeping / torchAdamw, torchMs / ours.get("step_ms")));
        } else {
            last.append("torch_step_ms=NA reason=").append(baseline.getOrDefault("reason", "off"));
        }
        System.out.println(last.toString().trim());
    }

    private static double ms(long nanos, int steps) {
        return nanos / 1e6 / steps;
    }

    /** PyTorch's numbers as name=value pairs, or a {@code reason} why there are none. */
    private Map<String, String> torchBaseline(Variant v, Precision arithmetic) {
        Map<String, String> out = new LinkedHashMap<>();
        if (torch.equals("off")) {
            out.put("reason", "off");
            return out;
        }
        if (arithmetic != Precision.FP32) {
            out.put("reason", "launch/torch_step.py_times_fp32_only");
            return out;
        }
        if (!devices.equals("cpu")) {
            out.put("reason", "the_baseline_runs_one_CPU_replica_only");
            return out;
        }
        Path script = Path.of(System.getProperty("mobilevit.home", "."), "launch", "torch_step.py");
        if (!Files.isRegularFile(script)) {
            out.put("reason", "no_" + script.toString().replace(' ', '_'));
            return out;
        }
        List<String> pythons = torch.equals("auto") ? List.of("python3", "/usr/bin/python3") : List.of(torch);
        for (String python : pythons) {
            List<String> command = new ArrayList<>(List.of(python, script.toString(), "--variant", v.id(),
                    "--batch", String.valueOf(batch), "--size", String.valueOf(size), "--threads",
                    String.valueOf(JniUtils.getNumThreads()), "--warmup", String.valueOf(Math.min(warmup, 20)),
                    "--steps", String.valueOf(steps - rssFirst)));
            try {
                Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
                String lastLine = null;
                try (BufferedReader in = new BufferedReader(new InputStreamReader(p.getInputStream(),
                        StandardCharsets.UTF_8))) {
                    for (String line; (line = in.readLine()) != null; ) {
                        if (line.startsWith("PyTorch ")) {
                            System.out.println(line);
                        }
                        lastLine = line;
                    }
                }
                if (p.waitFor(1, TimeUnit.MINUTES) && p.exitValue() == 0 && lastLine != null
                        && lastLine.startsWith("torch_step_ms=")) {
                    for (String pair : lastLine.split(" ")) {
                        String[] kv = pair.split("=", 2);
                        out.put(kv[0], kv[1]);
                    }
                    return out;
                }
            } catch (IOException e) {
                // this python is missing: try the next
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        out.put("reason", "no_python3_with_torch");
        return out;
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
