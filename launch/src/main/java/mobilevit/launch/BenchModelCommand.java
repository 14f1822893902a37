package mobilevit.launch;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.util.PairList;

import mobilevit.model.Autograd;
import mobilevit.model.ChannelsLastCheck;
import mobilevit.model.MemoryFormat;
import mobilevit.model.MobileViT;
import mobilevit.model.Precision;
import mobilevit.model.Variant;
import mobilevit.trainer.step.FlatState;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.util.Locale;

/** {@code bench model}: eval forward and train forward+backward throughput of the model alone. */
@Command(name = "model", mixinStandardHelpOptions = true,
        description = "Images/s of the eval forward and of forward+backward (train mode) on random input.")
final class BenchModelCommand implements Runnable {

    @Option(names = "--variant", defaultValue = "xxs", description = "xxs, xs or s (default ${DEFAULT-VALUE})")
    String variant;

    @Option(names = "--batch", defaultValue = "32", description = "Batch size (default ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--size", defaultValue = "256", description = "Square input side (default ${DEFAULT-VALUE}).")
    int size;

    @Option(names = "--iterations", defaultValue = "5", description = "Timed iterations of each (default ${DEFAULT-VALUE}).")
    int iterations;

    @Mixin
    DeviceOption device;

    @Option(names = "--precision", defaultValue = "fp32",
            description = "fp32, or fp16 (convolutions, linear layers and matmuls in float16, as training's fp16) (default ${DEFAULT-VALUE})")
    String precision;

    @Option(names = "--memory-format", defaultValue = "channels_last",
            description = "channels_last (feature maps stored N, H, W, C, as training's default) or contiguous (default ${DEFAULT-VALUE})")
    String memoryFormat;

    @Option(names = "--warmup", defaultValue = "2", description = "Untimed iterations first (default ${DEFAULT-VALUE}).")
    int warmup;

    @Override
    public void run() {
        Variant v = Args.choice(Variant::parse, variant);
        Args.positive("--batch", batch);
        Args.positive("--iterations", iterations);
        Args.checkImageSize(size, size);
        Precision arithmetic = Args.choice(Precision::parse, precision);
        MemoryFormat wanted = Args.choice(MemoryFormat::parse, memoryFormat);
        try (NDManager manager = NDManager.newBaseManager(device.device())) {
            MobileViT model = MobileViT.builder().setVariant(v).buildInitialized(manager, 0);
            MemoryFormat format = ChannelsLastCheck.resolve(wanted, model, manager.getDevice());
            // the training layout: one flat float32 leaf, split (and under fp16 cast once) per forward
            FlatState flat = FlatState.adopt(model, manager, FlatState.Gradients.RECORDED);
            PairList<String, Object> params = new PairList<>();
            params.add(Precision.PARAM_KEY, arithmetic);
            params.add(MemoryFormat.PARAM_KEY, format);
            Shape shape = new Shape(batch, 3, size, size);
            Autograd.setEnabled(false);
            double forward = imagesPerSecond(() -> {
                try (NDManager step = manager.newSubManager()) {
                    NDArray x = step.randomUniform(0, 1, shape);
                    model.forward(flat.trainingStore(step, arithmetic), new NDList(x), false, params)
                            .singletonOrThrow().toFloatArray();
                }
            });
            double train = imagesPerSecond(() -> {
                Autograd.setEnabled(true); // one thread-local flag: no cost worth counting
                try (NDManager step = manager.newSubManager()) {
                    NDArray x = step.randomUniform(0, 1, shape);
                    NDArray loss = model.forward(flat.trainingStore(step, arithmetic), new NDList(x), true, params)
                            .singletonOrThrow().mean();
                    Autograd.backward(loss, 1);
                    try (NDArray s = flat.gradient(step).sum()) { // waits for the whole backward
                        s.getFloat();
                    }
                    flat.zeroGradient();
                } finally {
                    Autograd.setEnabled(false);
                }
            });
            System.out.printf(Locale.ROOT, "MobileViT-%s, batch %d at %dx%d, %s, %s, %s, %d timed iterations%n",
                    v.name(), batch, size, size, manager.getDevice(), arithmetic.id(), format.id(), iterations);
            System.out.printf(Locale.ROOT, "eval forward       %10.1f images/s%n", forward);
            System.out.printf(Locale.ROOT, "forward+backward   %10.1f images/s%n", train);
            System.out.printf(Locale.ROOT, "forward_img_s=%.2f train_img_s=%.2f batch=%d size=%d variant=%s precision=%s"
                    + " memory_format=%s%n", forward, train, batch, size, v.id(), arithmetic.id(), format.id());
        }
    }

    private double imagesPerSecond(Runnable step) {
        for (int i = 0; i < warmup; i++) {
            step.run();
        }
        long start = System.nanoTime();
        for (int i = 0; i < iterations; i++) {
            step.run();
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        return (double) batch * iterations / seconds;
    }
}
