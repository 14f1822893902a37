package mobilevit.launch;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.repository.zoo.ZooModel;
import ai.djl.training.ParameterStore;

import mobilevit.core.Choice;
import mobilevit.core.UserError;
import mobilevit.evaluation.OnnxFile;
import mobilevit.model.Autograd;
import mobilevit.model.MobileViT;
import mobilevit.model.Variant;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;

/**
 * {@code bench infer-runtime} (hidden): one runtime's timing for {@code bench infer}, which starts
 * it in a JVM of its own with the runtime's own allocator and thread settings
 * ({@link RuntimeProcess}). The eval-mode forward of {@code --model} on random input: {@code --warmup}
 * batch-1 forwards and one {@code --batch} forward untimed, then {@code --steps} timed batch-1
 * forwards and {@code --throughput-steps} timed batch forwards. The same options and last line as
 * {@code launch/torch_step.py --infer}: {@code <runtime>_b1_median_ms}, {@code _b1_p90_ms} and
 * {@code _b<batch>_img_s}.
 */
@Command(name = "infer-runtime", hidden = true, mixinStandardHelpOptions = true,
        description = "One runtime's eval-mode forward timing, run by `bench infer` in a process of its own.")
final class InferRuntimeCommand implements Runnable {

    /** The runtimes this command times; PyTorch eager is launch/torch_step.py's. */
    enum Backend implements Choice {
        /** DJL on libtorch, as {@code eval} runs a weights file. */
        LIBTORCH,
        /** ONNX Runtime through DJL's engine, as {@code eval} runs an exported file. */
        ORT;

        static Backend parse(String text) {
            return Choice.parse(Backend.class, text,
                    t -> "--runtime must be " + Choice.alternatives(Backend.class) + ", got '" + t + "'");
        }
    }

    @Option(names = "--runtime", required = true, description = "libtorch or ort")
    String runtime;

    @Option(names = "--model", required = true, description = "weights (libtorch) or the export (ort)")
    Path model;

    @Mixin
    ModelOptions architecture;

    @Option(names = "--size", defaultValue = "256", description = "square input side (default ${DEFAULT-VALUE})")
    int size;

    @Option(names = "--batch", defaultValue = "32", description = "batch of the throughput steps (default ${DEFAULT-VALUE})")
    int batch;

    @Option(names = "--threads", defaultValue = "1", description = "intra-op threads (default ${DEFAULT-VALUE})")
    int threads;

    @Option(names = "--warmup", defaultValue = "10", description = "untimed batch-1 forwards (default ${DEFAULT-VALUE})")
    int warmup;

    @Option(names = "--steps", defaultValue = "20", description = "timed batch-1 forwards (default ${DEFAULT-VALUE})")
    int steps;

    @Option(names = "--throughput-steps", defaultValue = "2",
            description = "timed batch forwards (default ${DEFAULT-VALUE})")
    int throughputSteps;

    @Override
    public void run() {
        Backend r = Args.choice(Backend::parse, runtime);
        Variant v = architecture.variant();
        int classes = architecture.classes();
        Args.checkImageSize(size, size);
        Args.positive("--batch", batch);
        Args.positive("--threads", threads);
        Args.positive("--steps", steps);
        Args.positive("--throughput-steps", throughputSteps);
        if (warmup < 0) {
            throw new UserError("--warmup must not be negative, got " + warmup);
        }
        try (NDManager manager = NDManager.newBaseManager(Device.cpu())) { // loads the engine
            Autograd.setEnabled(false); // for good: the process ends after the timing
            JniUtils.setNumThreads(threads);
            NDArray one = manager.randomUniform(0, 1, new Shape(1, 3, size, size));
            NDArray many = manager.randomUniform(0, 1, new Shape(batch, 3, size, size));
            if (r == Backend.LIBTORCH) {
                MobileViT m = Args.model(model, v, classes, manager);
                time(r, () -> libtorch(m, one), () -> libtorch(m, many));
            } else {
                try (ZooModel<NDList, NDList> session = OnnxFile.read(model).load(threads)) {
                    NDManager m = session.getNDManager();
                    Block block = session.getBlock();
                    // the inputs already ONNX Runtime tensors, as eval hands them over
                    NDArray x1 = m.create(one.toFloatArray(), one.getShape());
                    NDArray xn = m.create(many.toFloatArray(), many.getShape());
                    time(r, () -> ort(block, m, x1), () -> ort(block, m, xn));
                }
            }
        }
    }

    private static void libtorch(MobileViT model, NDArray x) {
        try (NDManager scope = x.getManager().newSubManager()) {
            x.tempAttach(scope); // every array the forward makes follows its input into the scope, freed with it
            model.forward(new ParameterStore(scope, false), new NDList(x), false).singletonOrThrow().toFloatArray();
        }
    }

    private static void ort(Block block, NDManager manager, NDArray x) {
        try (NDList out = block.forward(new ParameterStore(manager, false), new NDList(x), false)) {
            out.singletonOrThrow().toFloatArray();
        }
    }

    /** Batch-1 latencies (median and 90th percentile, nearest rank), then the batch's throughput, printed. */
    private void time(Backend r, Runnable single, Runnable batched) {
        for (int i = 0; i < warmup; i++) {
            single.run();
        }
        batched.run();
        double[] ms = new double[steps];
        for (int i = 0; i < steps; i++) {
            long start = System.nanoTime();
            single.run();
            ms[i] = (System.nanoTime() - start) / 1e6;
        }
        long start = System.nanoTime();
        for (int i = 0; i < throughputSteps; i++) {
            batched.run();
        }
        double imagesPerSecond = (double) batch * throughputSteps / ((System.nanoTime() - start) / 1e9);
        Arrays.sort(ms);
        double median = ms[(ms.length - 1) / 2];
        double p90 = ms[(int) Math.ceil(0.9 * ms.length) - 1];
        System.out.printf(Locale.ROOT, "%s, %d thread(s), MobileViT-%s at %dx%d: batch 1 median %.2f ms, p90 %.2f ms;"
                + " batch %d %.1f images/s%n", r.id(), threads, architecture.variant, size, size, median, p90, batch,
                imagesPerSecond);
        System.out.printf(Locale.ROOT, "%s_b1_median_ms=%.3f %s_b1_p90_ms=%.3f %s_b%d_img_s=%.2f%n", r.id(), median,
                r.id(), p90, r.id(), batch, imagesPerSecond);
    }
}
