package mobilevit.launch;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;

import mobilevit.core.FileTrees;
import mobilevit.core.IoFailures;
import mobilevit.core.UserError;
import mobilevit.export.ExportMetadata;
import mobilevit.export.InputSize;
import mobilevit.export.OnnxExport;
import mobilevit.model.MobileViT;
import mobilevit.model.StateDict;
import mobilevit.model.Variant;
import mobilevit.model.WeightsFile;

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

/**
 * {@code bench infer}: the eval-mode forward of one model (given weights, or the variant's seeded
 * initialisation) on three runtimes: DJL on libtorch (as {@code eval} runs a weights file), ONNX
 * Runtime on the model's export (through DJL's OnnxRuntime engine, as {@code eval --weights
 * model.onnx} runs it) and, when a python3 with torch is at hand, PyTorch eager
 * ({@code launch/torch_step.py --infer}). Each runs in processes of its own, in its own best
 * configuration, printed beside its figures ({@link RuntimeProcess}; the first two are
 * {@link InferRuntimeCommand} in a JVM of their own): no runtime's threads, allocator or leftover
 * pages reach another's timing. Batch 1 latency (median and 90th percentile) and batch
 * {@code --batch} throughput, at each {@code --threads} count; the runtimes alternate within each
 * round (A B C A B C ...) so that a change in the machine's load hits all of them alike.
 */
@Command(name = "infer", mixinStandardHelpOptions = true,
        description = "Eval-mode forward: batch-1 latency and batch throughput of libtorch, ONNX Runtime and PyTorch eager.")
final class BenchInferCommand implements Runnable {

    @Option(names = "--variant", defaultValue = "xxs", description = "xxs, xs or s (default ${DEFAULT-VALUE})")
    String variant;

    @Option(names = "--weights", description = "safetensors or torch.save weights (default: the variant's seeded initialisation)")
    Path weights;

    @Option(names = "--classes", defaultValue = "1000", description = "classes of the head (default ${DEFAULT-VALUE})")
    int classes;

    @Option(names = "--size", defaultValue = "256", description = "square input side (default ${DEFAULT-VALUE})")
    int size;

    @Option(names = "--batch", defaultValue = "32", description = "batch of the throughput runs (default ${DEFAULT-VALUE})")
    int batch;

    @Option(names = "--threads", defaultValue = "1,2", split = ",",
            description = "intra-op thread counts, each runtime's (default ${DEFAULT-VALUE})")
    List<Integer> threads;

    @Option(names = "--rounds", defaultValue = "2", description = "rounds of every runtime in turn (default ${DEFAULT-VALUE})")
    int rounds;

    @Option(names = "--latency-runs", defaultValue = "20", description = "timed batch-1 forwards per round (default ${DEFAULT-VALUE})")
    int latencyRuns;

    @Option(names = "--throughput-runs", defaultValue = "2",
            description = "timed batch forwards per round (default ${DEFAULT-VALUE})")
    int throughputRuns;

    @Option(names = "--warmup", defaultValue = "10",
            description = "untimed batch-1 forwards (and one batch forward) before each timing (default ${DEFAULT-VALUE})")
    int warmup;

    @Option(names = "--torch", defaultValue = "auto",
            description = "PyTorch eager: auto (when a python3 with torch is found), off, or the python to run (default ${DEFAULT-VALUE})")
    String torch;

    /** One round's figures of one runtime at one thread count. */
    record Figures(double medianMs, double p90Ms, double imagesPerSecond) {}

    /**
     * At one thread count, the process for the batch-1 figures and the one for the throughput, each
     * under the allocator its probe found the better for that figure.
     */
    private record Processes(RuntimeProcess latency, RuntimeProcess throughput) {

        /** Whether one run gives both figures: the same allocator won both. */
        boolean oneRun() {
            return latency.allocator().equals(throughput.allocator());
        }
    }

    /** A runtime under test in processes of its own, at each thread count its {@link Processes}. */
    private final class TimedRuntime {
        private final String name;
        private final Map<Integer, Processes> byThreads = new LinkedHashMap<>();

        TimedRuntime(String name) {
            this.name = name;
        }

        void add(int threads, RuntimeProcess.Probe probe) {
            Processes p = new Processes(
                    probe.fastestFor(new RuntimeProcess.Figure(medianKey(), RuntimeProcess.Better.LOWER)),
                    probe.fastestFor(new RuntimeProcess.Figure(throughputKey(), RuntimeProcess.Better.HIGHER)));
            byThreads.put(threads, p);
            System.out.printf(Locale.ROOT, "%s at %d thread(s), allocator probe: batch 1 under %s, batch %d under %s%n",
                    name, threads, p.latency().allocator().name(), batch, p.throughput().allocator().name());
        }

        String medianKey() {
            return name + "_b1_median_ms";
        }

        String throughputKey() {
            return name + "_b" + batch + "_img_s";
        }

        String configuration(int threads) {
            Processes p = byThreads.get(threads);
            return p.oneRun() ? p.latency().configuration()
                    : "batch 1: " + p.latency().configuration() + "; batch " + batch + ": "
                            + p.throughput().configuration();
        }

        /** One round at {@code threads} threads; empty when a process did not run. */
        Optional<Figures> time(int threads) {
            Processes p = byThreads.get(threads);
            Optional<Map<String, String>> b1 = p.latency().run(warmup, latencyRuns);
            Optional<Map<String, String>> many = p.oneRun() ? b1 : p.throughput().run(1, 1);
            if (b1.isEmpty() || many.isEmpty()) {
                return Optional.empty();
            }
            return Optional.of(new Figures(Double.parseDouble(b1.get().get(medianKey())),
                    Double.parseDouble(b1.get().get(name + "_b1_p90_ms")),
                    Double.parseDouble(many.get().get(throughputKey()))));
        }
    }

    @Override
    public void run() {
        Variant v = Args.choice(Variant::parse, variant);
        Args.positive("--classes", classes);
        Args.checkImageSize(size, size);
        Args.positive("--batch", batch);
        Args.positive("--rounds", rounds);
        Args.positive("--latency-runs", latencyRuns);
        Args.positive("--throughput-runs", throughputRuns);
        if (warmup < 0) {
            throw new UserError("--warmup must not be negative, got " + warmup);
        }
        threads.forEach(t -> Args.positive("--threads", t));
        Path dir;
        try {
            dir = Files.createTempDirectory("mobilevit-bench-infer");
        } catch (IOException e) {
            throw new UserError("cannot create a temporary folder: " + IoFailures.describe(e), 5);
        }
        try {
            // the same weights for every runtime: a safetensors copy for libtorch and PyTorch, an export for ONNX Runtime
            Path copy = dir.resolve("weights.safetensors");
            Path onnx = dir.resolve("model.onnx");
            writeCopies(v, copy, onnx);
            List<String> common = List.of("--variant", v.id(), "--classes", String.valueOf(classes), "--size",
                    String.valueOf(size), "--batch", String.valueOf(batch), "--throughput-steps",
                    String.valueOf(throughputRuns));
            int probeSteps = Math.min(latencyRuns, 5);
            List<TimedRuntime> runtimes = new ArrayList<>();
            StringBuilder whyNot = new StringBuilder();
            for (var ours : List.of(Map.entry(InferRuntimeCommand.Backend.LIBTORCH, copy),
                    Map.entry(InferRuntimeCommand.Backend.ORT, onnx))) {
                TimedRuntime r = new TimedRuntime(ours.getKey().id());
                List<String> arguments = new ArrayList<>(List.of("bench", "infer-runtime", "--runtime", r.name,
                        "--model", ours.getValue().toString()));
                arguments.addAll(common);
                for (int t : threads) {
                    r.add(t, RuntimeProcess.probeJava(arguments, r.medianKey(), t, probeSteps).orElseThrow(
                            () -> new UserError("bench infer: the " + r.name + " timing process (`mobilevit "
                                    + String.join(" ", arguments) + "` in a JVM of its own) gave no figures", 1)));
                }
                runtimes.add(r);
            }
            eagerTorch(copy, common, probeSteps, whyNot).ifPresentOrElse(runtimes::add,
                    () -> System.out.println("PyTorch eager skipped: " + whyNot));
            measure(v, runtimes, whyNot.toString());
        } finally {
            deleteQuietly(dir);
        }
    }

    /** The model (given weights, or the variant's seeded initialisation) as safetensors and as its export. */
    private void writeCopies(Variant v, Path copy, Path onnx) {
        try (NDManager manager = NDManager.newBaseManager(Device.cpu())) { // loads the engine
            MobileViT model = weights == null
                    ? MobileViT.builder().setVariant(v).optNumClasses(classes).buildInitialized(manager, 0)
                    : Args.model(weights, v, classes, manager);
            WeightsFile.write(StateDict.export(model, manager), copy);
            OnnxExport.write(model, InputSize.fixed(size, size), ExportMetadata.of(v, classes, size * 9 / 8, size, copy),
                    onnx);
        } catch (IOException e) {
            throw new UserError("cannot write the model's copies into " + copy.getParent() + ": "
                    + IoFailures.describe(e), 5);
        }
    }

    private void measure(Variant v, List<TimedRuntime> runtimes, String torchMissing) {
        Map<String, List<Figures>> byKey = new LinkedHashMap<>();
        for (int round = 1; round <= rounds; round++) {
            for (int t : threads) {
                for (TimedRuntime r : runtimes) {
                    String at = String.format(Locale.ROOT, "round %d of %d, %s at %d thread(s): ", round, rounds,
                            r.name, t);
                    r.time(t).ifPresentOrElse(f -> {
                        byKey.computeIfAbsent(key(r.name, t), k -> new ArrayList<>()).add(f);
                        System.out.printf(Locale.ROOT, "%sbatch 1 median %.2f ms, batch %d %.1f images/s%n", at,
                                f.medianMs(), batch, f.imagesPerSecond());
                    }, () -> System.out.println(at + "did not run"));
                }
            }
        }
        System.out.printf(Locale.ROOT, "MobileViT-%s, %d classes, %dx%d, eval-mode forward, %d round(s) of %d batch-1"
                + " and %d batch-%d forwards after %d warm-up; each figure the mean of the rounds'%n",
                v.name(), classes, size, size, rounds, latencyRuns, throughputRuns, batch, warmup);
        System.out.printf(Locale.ROOT, "%-9s %7s %13s %13s %14s  %s%n", "runtime", "threads", "b1 median ms",
                "b1 p90 ms", "b" + batch + " images/s", "configuration");
        StringBuilder last = new StringBuilder();
        Map<String, Figures> mean = new LinkedHashMap<>();
        for (int t : threads) {
            for (TimedRuntime r : runtimes) {
                List<Figures> all = byKey.get(key(r.name, t));
                if (all == null || all.size() != rounds) {
                    continue;
                }
                Figures m = new Figures(all.stream().mapToDouble(Figures::medianMs).average().orElseThrow(),
                        all.stream().mapToDouble(Figures::p90Ms).average().orElseThrow(),
                        all.stream().mapToDouble(Figures::imagesPerSecond).average().orElseThrow());
                mean.put(key(r.name, t), m);
                System.out.printf(Locale.ROOT, "%-9s %7d %13.2f %13.2f %14.1f  %s%n", r.name, t, m.medianMs(),
                        m.p90Ms(), m.imagesPerSecond(), r.configuration(t));
                last.append(String.format(Locale.ROOT, "%s_b1_t%d_median_ms=%.3f %s_b1_t%d_p90_ms=%.3f"
                        + " %s_b%d_t%d_img_s=%.2f ", r.name, t, m.medianMs(), r.name, t, m.p90Ms(), r.name, batch,
                        t, m.imagesPerSecond()));
            }
        }
        // ratios of speed against libtorch: > 1 is faster (its latency lower, its throughput higher)
        for (String other : List.of("ort", "torch")) {
            for (int t : threads) {
                Figures base = mean.get(key("libtorch", t));
                Figures f = mean.get(key(other, t));
                if (base != null && f != null) {
                    last.append(String.format(Locale.ROOT, "%s_vs_libtorch_b1_t%d=%.3f %s_vs_libtorch_b%d_t%d=%.3f ",
                            other, t, base.medianMs() / f.medianMs(), other, batch, t,
                            f.imagesPerSecond() / base.imagesPerSecond()));
                }
            }
        }
        if (!torchMissing.isEmpty()) {
            last.append("torch=NA reason=").append(torchMissing);
        }
        System.out.println(last.toString().trim());
    }

    private static void deleteQuietly(Path dir) {
        try {
            FileTrees.delete(dir);
        } catch (IOException e) {
            System.err.println("could not delete the temporary folder " + dir + ": " + IoFailures.describe(e));
        }
    }

    private static String key(String runtime, int threads) {
        return runtime + "@" + threads;
    }

    /**
     * PyTorch eager on {@code weights} (the model's safetensors copy), its allocator probed at each
     * thread count; empty with the reason in {@code whyNot}.
     */
    private Optional<TimedRuntime> eagerTorch(Path weights, List<String> common, int probeSteps, StringBuilder whyNot) {
        if (torch.equals("off")) {
            whyNot.append("off");
            return Optional.empty();
        }
        TimedRuntime r = new TimedRuntime("torch");
        List<String> arguments = new ArrayList<>(List.of("--infer", "--weights", weights.toString()));
        arguments.addAll(common);
        for (int t : threads) {
            Optional<RuntimeProcess.Probe> p = RuntimeProcess.probeTorch(torch, RuntimeProcess.torchScript(), arguments,
                    r.medianKey(), t, probeSteps, whyNot);
            if (p.isEmpty()) {
                return Optional.empty();
            }
            r.add(t, p.get());
        }
        return Optional.of(r);
    }
}
