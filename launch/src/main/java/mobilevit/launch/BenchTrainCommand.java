package mobilevit.launch;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import mobilevit.model.MobileViT;
import mobilevit.model.Variant;
import mobilevit.trainer.AdamW;
import mobilevit.trainer.Ema;
import mobilevit.trainer.ReplicaGroup;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * {@code bench train}: full training steps (forward, backward, gradient averaging, AdamW, EMA) on a
 * fixed random batch, with the process's resident memory after {@code --rss-first} steps and at the
 * end: a leak shows as growth. Untimed warm-up steps come first: the JIT, the Java heap and the
 * allocator's pools grow during the first ~150 steps of a process and then stay put (measured:
 * 4092 MB at step 50, 4255 MB at 150, 4289 MB at 400 and 450 at batch 32, 256x256).
 */
@Command(name = "train", mixinStandardHelpOptions = true,
        description = "Images/s of full training steps, and the process RSS after the first N steps and at the end.")
final class BenchTrainCommand implements Runnable {

    @Option(names = "--variant", defaultValue = "xxs", description = "xxs, xs or s (default ${DEFAULT-VALUE})")
    String variant;

    @Option(names = "--batch", defaultValue = "32", description = "images per replica (default ${DEFAULT-VALUE})")
    int batch;

    @Option(names = "--size", defaultValue = "256", description = "square input side (default ${DEFAULT-VALUE})")
    int size;

    @Option(names = "--steps", defaultValue = "500", description = "steps in all (default ${DEFAULT-VALUE})")
    int steps;

    @Option(names = "--warmup", defaultValue = "100", description = "untimed steps first (default ${DEFAULT-VALUE})")
    int warmup;

    @Option(names = "--rss-first", defaultValue = "50", description = "step of the first RSS reading (default ${DEFAULT-VALUE})")
    int rssFirst;

    @Option(names = "--devices", defaultValue = "cpu", description = "cpu, cpu:N, gpu0, gpu0-7 (default ${DEFAULT-VALUE})")
    String devices;

    @Override
    public void run() {
        Variant v = Args.variant(variant);
        Args.positive("--batch", batch);
        Args.positive("--steps", steps);
        Args.checkImageSize(size, size);
        if (warmup < 0) {
            throw new UserError("--warmup must not be negative, got " + warmup);
        }
        if (rssFirst < 1 || rssFirst >= steps) {
            throw new UserError("--rss-first must be between 1 and --steps - 1, got " + rssFirst);
        }
        MobileViT.Builder builder = MobileViT.builder().setVariant(v);
        var list = Args.devices(devices);
        try (NDManager manager = NDManager.newBaseManager();
                ReplicaGroup group = new ReplicaGroup(list, builder, 0, 0.1, true);
                NDManager emaManager = NDManager.newBaseManager(group.masterDevice())) {
            Ema ema = Ema.copyOf(group.state(), builder, emaManager, 0.0005);
            AdamW adamw = new AdamW(0.9, 0.999, 1e-8, 0.01);
            NDArray images = manager.randomUniform(0, 1, new Shape(batch, 3, size, size));
            NDArray labels = manager.randomInteger(0, 1000, new Shape(batch), DataType.INT64);
            ReplicaGroup.ShardSource source = (r, scope) -> new NDList(images.toDevice(scope.getDevice(), true),
                    labels.toDevice(scope.getDevice(), true));
            for (int step = 1; step <= warmup; step++) {
                group.forwardBackward(source, 0, -step);
                group.apply(adamw, 0.002);
                ema.update(group.state());
            }
            System.out.printf(Locale.ROOT, "%d warm-up steps: RSS %.1f MB%n", warmup, rssKb() / 1024.0);
            long rssAtFirst = 0;
            long timedFrom = 0;
            long timedImages = 0;
            for (int step = 1; step <= steps; step++) {
                ReplicaGroup.StepLoss loss = group.forwardBackward(source, 0, step);
                group.apply(adamw, 0.002);
                ema.update(group.state());
                if (step == rssFirst) {
                    rssAtFirst = rssKb();
                    timedFrom = System.nanoTime();
                    System.out.printf(Locale.ROOT, "step %d: RSS %.1f MB%n", step, rssAtFirst / 1024.0);
                } else if (step > rssFirst) {
                    timedImages += loss.images();
                }
                if (step % 50 == 0 && step != rssFirst) {
                    System.out.printf(Locale.ROOT, "step %d: loss %.4f  RSS %.1f MB%n", step, loss.loss(), rssKb() / 1024.0);
                }
            }
            double seconds = (System.nanoTime() - timedFrom) / 1e9;
            long rssEnd = rssKb();
            double imgPerSecond = timedImages / seconds;
            double growth = 100.0 * (rssEnd - rssAtFirst) / rssAtFirst;
            System.out.printf(Locale.ROOT, "MobileViT-%s, %d x %d images at %dx%d on %s, after %d warm-up steps:"
                    + " %.2f images/s (steps %d-%d); RSS %.1f MB at step %d, %.1f MB at step %d (%+.2f%%)%n", v.name(),
                    list.size(), batch, size, size, devices, warmup, imgPerSecond, rssFirst + 1, steps,
                    rssAtFirst / 1024.0, rssFirst, rssEnd / 1024.0, steps, growth);
            System.out.printf(Locale.ROOT, "train_img_s=%.2f rss_mb_%d=%.1f rss_mb_%d=%.1f rss_growth_pct=%.2f"
                    + " warmup_steps=%d%n", imgPerSecond, rssFirst, rssAtFirst / 1024.0, steps, rssEnd / 1024.0, growth,
                    warmup);
        }
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
