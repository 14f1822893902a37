package mobilevit.launch;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.repository.zoo.ZooModel;
import ai.djl.training.ParameterStore;

import mobilevit.core.FileTrees;
import mobilevit.core.IoFailures;
import mobilevit.core.UserError;
import mobilevit.evaluation.OnnxFile;
import mobilevit.export.ExportMetadata;
import mobilevit.export.InputSize;
import mobilevit.export.OnnxExport;
import mobilevit.model.Autograd;
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
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * {@code bench infer}: the eval-mode forward of one model (given weights, or the variant's seeded
 * initialisation) on three runtimes, each in its own best configuration, printed beside its
 * figures: DJL on libtorch (as {@code eval} runs it), ONNX Runtime on the model's export (through
 * DJL's OnnxRuntime engine, as {@code eval --weights model.onnx} runs it) and, when a python3 with
 * torch is at hand, PyTorch eager ({@code launch/torch_step.py --infer}, {@link TorchBaseline}).
 * Batch 1 latency (median and 90th percentile) and batch {@code --batch} throughput, at each
 * {@code --threads} count; the runtimes alternate within each round (A B C A B C ...) so that a
 * change in the machine's load hits all of them alike.
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

    @Option(names = "--throughput-runs", defaultValue = "1",
            description = "timed batch forwards per round (default ${DEFAULT-VALUE})")
    int throughputRuns;

    @Option(names = "--warmup", defaultValue = "3",
            description = "untimed batch-1 forwards (and one batch forward) before each timing (default ${DEFAULT-VALUE})")
    int warmup;

    @Option(names = "--torch", defaultValue = "auto",
            description = "PyTorch eager: auto (when a python3 with torch is found), off, or the python to run (default ${DEFAULT-VALUE})")
    String torch;

    /** One round's figures of one runtime at one thread count. */
    record Figures(double medianMs, double p90Ms, double imagesPerSecond) {}

    /** A runtime under test. */
    interface Runtime {
        String name();

        /** How it runs at {@code threads} threads, to print beside its figures. */
        String configuration(int threads);

        /** One timing at {@code threads} threads; empty when it did not run. */
        Optional<Figures> time(int threads);
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
        try (NDManager manager = NDManager.newBaseManager(Device.cpu())) { // loads the engine
            Autograd.setEnabled(false); // for good: the command ends after the runs
            MobileViT model = weights == null
                    ? MobileViT.builder().setVariant(v).optNumClasses(classes).buildInitialized(manager, 0)
                    : Args.model(weights, v, classes, manager);
            // the same weights for every runtime: a safetensors copy for PyTorch, an export for ONNX Runtime
            Path copy = dir.resolve("weights.safetensors");
            WeightsFile.write(StateDict.export(model, manager), copy);
            Path onnxPath = dir.resolve("model.onnx");
            OnnxExport.write(model, InputSize.fixed(size, size), ExportMetadata.of(v, classes, size * 9 / 8, size, copy),
                    onnxPath);
            NDArray one = manager.randomUniform(0, 1, new Shape(1, 3, size, size));
            NDArray many = manager.randomUniform(0, 1, new Shape(batch, 3, size, size));
            List<Runtime> runtimes = new ArrayList<>();
            runtimes.add(new Libtorch(model, one, many));
            try (OnnxRuntime ort = new OnnxRuntime(OnnxFile.read(onnxPath), threads, one, many)) {
                runtimes.add(ort);
                StringBuilder whyNot = new StringBuilder();
                eagerTorch(v, copy, whyNot).ifPresentOrElse(runtimes::add,
                        () -> System.out.println("PyTorch eager skipped: " + whyNot));
                measure(v, runtimes, whyNot.toString());
            }
        } catch (IOException e) {
            throw new UserError("cannot write the model's copies into " + dir + ": " + IoFailures.describe(e), 5);
        } finally {
            deleteQuietly(dir);
        }
    }

    private void measure(Variant v, List<Runtime> runtimes, String torchMissing) {
        Map<String, List<Figures>> byKey = new LinkedHashMap<>();
        for (int round = 1; round <= rounds; round++) {
            for (int t : threads) {
                for (Runtime r : runtimes) {
                    int thisRound = round;
                    r.time(t).ifPresentOrElse(f -> byKey.computeIfAbsent(key(r.name(), t), k -> new ArrayList<>()).add(f),
                            () -> System.out.printf(Locale.ROOT, "round %d: %s at %d thread(s) did not run%n", thisRound,
                                    r.name(), t));
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
            for (Runtime r : runtimes) {
                List<Figures> all = byKey.get(key(r.name(), t));
                if (all == null || all.size() != rounds) {
                    continue;
                }
                Figures m = new Figures(all.stream().mapToDouble(Figures::medianMs).average().orElseThrow(),
                        all.stream().mapToDouble(Figures::p90Ms).average().orElseThrow(),
                        all.stream().mapToDouble(Figures::imagesPerSecond).average().orElseThrow());
                mean.put(key(r.name(), t), m);
                System.out.printf(Locale.ROOT, "%-9s %7d %13.2f %13.2f %14.1f  %s%n", r.name(), t, m.medianMs(),
                        m.p90Ms(), m.imagesPerSecond(), r.configuration(t));
                last.append(String.format(Locale.ROOT, "%s_b1_t%d_median_ms=%.3f %s_b1_t%d_p90_ms=%.3f"
                        + " %s_b%d_t%d_img_s=%.2f ", r.name(), t, m.medianMs(), r.name(), t, m.p90Ms(), r.name(), batch,
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

    /** Median and 90th percentile (nearest rank) of {@code ms}. */
    static Figures figures(double[] ms, double imagesPerSecond) {
        double[] sorted = ms.clone();
        Arrays.sort(sorted);
        return new Figures(sorted[(sorted.length - 1) / 2], sorted[(int) Math.ceil(0.9 * sorted.length) - 1],
                imagesPerSecond);
    }

    /** Times {@code forward} as one runtime: batch-1 latencies, then the batch's throughput. */
    private Figures time(Runnable single, Runnable batched) {
        for (int i = 0; i < warmup; i++) {
            single.run();
        }
        batched.run();
        double[] ms = new double[latencyRuns];
        for (int i = 0; i < latencyRuns; i++) {
            long start = System.nanoTime();
            single.run();
            ms[i] = (System.nanoTime() - start) / 1e6;
        }
        long start = System.nanoTime();
        for (int i = 0; i < throughputRuns; i++) {
            batched.run();
        }
        return figures(ms, (double) batch * throughputRuns / ((System.nanoTime() - start) / 1e9));
    }

    /**
     * PyTorch eager on {@code weights} (the model's safetensors copy), its allocator probed at each
     * thread count; empty with the reason in {@code whyNot}.
     */
    private Optional<EagerTorch> eagerTorch(Variant v, Path weights, StringBuilder whyNot) {
        if (torch.equals("off")) {
            whyNot.append("off");
            return Optional.empty();
        }
        Path script = Path.of(System.getProperty("mobilevit.home", "."), "launch", "torch_step.py");
        List<String> pythons = torch.equals("auto") ? List.of("python3", "/usr/bin/python3") : List.of(torch);
        List<String> model = List.of("--infer", "--variant", v.id(), "--classes", String.valueOf(classes), "--weights",
                weights.toString(), "--size", String.valueOf(size), "--batch", String.valueOf(batch),
                "--throughput-steps", String.valueOf(throughputRuns));
        Map<Integer, TorchBaseline> baselines = new LinkedHashMap<>();
        for (int t : threads) {
            Optional<TorchBaseline> b = TorchBaseline.find(pythons, script, model, "torch_b1_median_ms", t,
                    Math.min(latencyRuns, 5), whyNot);
            if (b.isEmpty()) {
                return Optional.empty();
            }
            baselines.put(t, b.get());
        }
        return Optional.of(new EagerTorch(baselines));
    }

    /** DJL's PyTorch engine: the model's eval forward as {@code eval} runs it. */
    private final class Libtorch implements Runtime {
        private final MobileViT model;
        private final NDArray one;
        private final NDArray many;

        Libtorch(MobileViT model, NDArray one, NDArray many) {
            this.model = model;
            this.one = one;
            this.many = many;
        }

        @Override
        public String name() {
            return "libtorch";
        }

        @Override
        public String configuration(int threads) {
            return "DJL " + Engine.getDjlVersion() + " on libtorch " + Engine.getEngine("PyTorch").getVersion()
                    + ", autograd off, "
                    + threads + " intra-op thread(s), OMP_WAIT_POLICY=" + System.getenv().getOrDefault("OMP_WAIT_POLICY",
                    "unset") + ", " + BenchTrainCommand.ourAllocator();
        }

        @Override
        public Optional<Figures> time(int threads) {
            JniUtils.setNumThreads(threads);
            return Optional.of(BenchInferCommand.this.time(() -> forward(one), () -> forward(many)));
        }

        private void forward(NDArray x) {
            try (NDManager scope = x.getManager().newSubManager()) {
                x.tempAttach(scope); // every array the forward makes follows its input into the scope, freed with it
                model.forward(new ParameterStore(scope, false), new NDList(x), false).singletonOrThrow().toFloatArray();
            }
        }
    }

    /** DJL's ONNX Runtime engine on the export, one session per thread count, its inputs already ORT tensors. */
    private final class OnnxRuntime implements Runtime, AutoCloseable {
        private final Map<Integer, ZooModel<NDList, NDList>> sessions = new LinkedHashMap<>();

        private final float[] one;
        private final float[] many;
        private final Shape oneShape;
        private final Shape manyShape;

        OnnxRuntime(OnnxFile onnx, List<Integer> threadCounts, NDArray one, NDArray many) {
            for (int t : threadCounts) {
                sessions.computeIfAbsent(t, onnx::load);
            }
            this.one = one.toFloatArray();
            this.many = many.toFloatArray();
            this.oneShape = one.getShape();
            this.manyShape = many.getShape();
        }

        @Override
        public String name() {
            return "ort";
        }

        @Override
        public String configuration(int threads) {
            return "ONNX Runtime " + Engine.getEngine(OnnxFile.ENGINE).getVersion() + " through DJL, graph"
                    + " optimisations all (its default), sequential, intra-op " + threads + ", inter-op 1";
        }

        @Override
        public Optional<Figures> time(int threads) {
            ZooModel<NDList, NDList> session = sessions.get(threads);
            NDManager m = session.getNDManager();
            Block block = session.getBlock();
            try (NDArray x1 = m.create(one, oneShape); NDArray xn = m.create(many, manyShape)) {
                return Optional.of(BenchInferCommand.this.time(() -> forward(block, m, x1), () -> forward(block, m, xn)));
            }
        }

        private void forward(Block block, NDManager m, NDArray x) {
            NDList out = block.forward(new ParameterStore(m, false), new NDList(x), false);
            out.singletonOrThrow().toFloatArray();
            out.close();
        }

        @Override
        public void close() {
            sessions.values().forEach(ZooModel::close);
        }
    }

    /** PyTorch eager in its own process and best configuration, one {@link TorchBaseline} per thread count. */
    private final class EagerTorch implements Runtime {
        private final Map<Integer, TorchBaseline> baselines;

        private EagerTorch(Map<Integer, TorchBaseline> baselines) {
            this.baselines = baselines;
        }

        @Override
        public String name() {
            return "torch";
        }

        @Override
        public String configuration(int threads) {
            return "PyTorch eager, torch.inference_mode(), " + baselines.get(threads).configuration();
        }

        @Override
        public Optional<Figures> time(int threads) {
            return baselines.get(threads).run(warmup, latencyRuns).map(r -> new Figures(
                    Double.parseDouble(r.get("torch_b1_median_ms")), Double.parseDouble(r.get("torch_b1_p90_ms")),
                    Double.parseDouble(r.get("torch_b" + batch + "_img_s"))));
        }
    }
}
