package mobilevit.launch;

import ai.djl.modality.cv.transform.RandomFlipLeftRight;
import ai.djl.modality.cv.transform.RandomResizedCrop;
import ai.djl.modality.cv.transform.Resize;
import ai.djl.modality.cv.transform.ToTensor;
import ai.djl.ndarray.NDManager;
import ai.djl.translate.TranslateException;

import mobilevit.data.Batches;
import mobilevit.data.ImageFolder;
import mobilevit.data.MultiScaleSampler;
import mobilevit.data.Scale;
import mobilevit.data.ScaleTable;
import mobilevit.data.SyntheticImageNet;
import mobilevit.data.TrainLoader;
import mobilevit.data.TrainTransform;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * {@code bench data}: training-data throughput (read, decode, random crop, resize, flip, batch as
 * float32 NCHW) of this project's loader and, in the same run on the same files, of DJL's stock
 * ImageFolder with its default image factory and its RandomResizedCrop, RandomFlipLeftRight and
 * ToTensor transforms (plus a Resize, which DJL's crop needs to give one shape), at each of the
 * paper's training scales.
 */
@Command(name = "data", mixinStandardHelpOptions = true,
        description = "Images/s of training-data loading at the paper's scales, next to DJL's stock ImageFolder "
                + "pipeline as the baseline.")
final class BenchDataCommand implements Runnable {

    @Option(names = "--data", description = "dataset folder (with train/) or a split folder; default: a synthetic "
            + "ImageNet-like set made in a temporary folder")
    Path data;

    @Option(names = "--threads", defaultValue = "1", description = "loading threads of each pipeline (default ${DEFAULT-VALUE})")
    int threads;

    @Option(names = "--images", defaultValue = "128", description = "timed images per scale and pipeline (default ${DEFAULT-VALUE})")
    int images;

    @Option(names = "--batch", defaultValue = "32", description = "batch size (default ${DEFAULT-VALUE})")
    int batch;

    @Override
    public void run() {
        Args.positive("--threads", threads);
        Args.positive("--images", images);
        Args.positive("--batch", batch);
        // One core per loading thread for both pipelines: PyTorch's own intra-op threads would give DJL's
        // transforms more cores than --threads (and spin against each other on a busy machine).
        if (System.getProperty("ai.djl.pytorch.num_threads") == null) {
            System.setProperty("ai.djl.pytorch.num_threads", "1");
            System.setProperty("ai.djl.pytorch.num_interop_threads", "1");
        }
        Path temp = null;
        try {
            Path split;
            if (data == null) {
                temp = Files.createTempDirectory("mobilevit-bench-data-");
                SyntheticImageNet.generate(temp.resolve("synth"), 10, 64, 0, 0);
                split = temp.resolve("synth/train");
            } else {
                split = Files.isDirectory(data.resolve("train")) ? data.resolve("train") : data;
            }
            run(split, temp == null ? ImageFolder.defaultCacheFolder() : null);
        } catch (IOException e) {
            throw new UserError("benchmark failed: " + e.getMessage(), 1);
        } finally {
            if (temp != null) {
                deleteTree(temp);
            }
        }
    }

    private void run(Path split, Path indexCache) throws IOException {
        ImageFolder folder;
        try {
            folder = ImageFolder.open(split, indexCache);
        } catch (IllegalArgumentException e) {
            throw new UserError(e.getMessage());
        }
        List<Scale> scales = ScaleTable.of(ScaleTable.Params.paper(batch, 1));
        System.out.printf(Locale.ROOT, "%s: %d images; %d thread(s), %d timed images per scale, batch %d%n",
                folder.root(), folder.size(), threads, images, batch);
        System.out.printf(Locale.ROOT, "%-9s %12s %12s %7s%n", "scale", "ours img/s", "djl img/s", "ratio");
        ours(folder, scales.get(0), Math.min(images, 2 * batch)); // warm-up: JIT, natives, page cache
        djl(split, scales.get(0), Math.min(images, 2 * batch));
        double oursSeconds = 0;
        double djlSeconds = 0;
        for (Scale s : scales) {
            double o = ours(folder, s, images);
            double d = djl(split, s, images);
            oursSeconds += o;
            djlSeconds += d;
            System.out.printf(Locale.ROOT, "%-9s %12.1f %12.1f %7.2f%n", s.height() + "x" + s.width(),
                    images / o, images / d, d / o);
        }
        double ours = scales.size() * images / oursSeconds;
        double djl = scales.size() * images / djlSeconds;
        System.out.printf(Locale.ROOT, "%-9s %12.1f %12.1f %7.2f%n", "all", ours, djl, ours / djl);
        System.out.printf(Locale.ROOT, "ours_img_s=%.2f djl_img_s=%.2f ratio=%.3f threads=%d images=%d batch=%d%n",
                ours, djl, ours / djl, threads, scales.size() * images, batch);
    }

    /** Seconds our loader takes for {@code n} images at one scale (batches of that scale only). */
    private double ours(ImageFolder folder, Scale scale, int n) {
        Scale fixed = new Scale(scale.height(), scale.width(), batch);
        MultiScaleSampler sampler = new MultiScaleSampler(List.of(fixed), folder.size(), 1, 0);
        long start = System.nanoTime();
        int done = 0;
        try (TrainLoader loader = new TrainLoader(folder, sampler, TrainTransform.paper(), threads, 2 * threads, 0)) {
            for (int epoch = 0; done < n; epoch++) {
                try (Batches batches = loader.epoch(epoch, 0)) {
                    while (done < n && batches.hasNext()) {
                        done += batches.next().size();
                    }
                }
            }
        }
        return (System.nanoTime() - start) / 1e9 * n / done;
    }

    /** Seconds DJL's stock pipeline takes for {@code n} images at one scale. */
    private double djl(Path split, Scale scale, int n) throws IOException {
        ai.djl.basicdataset.cv.classification.ImageFolder dataset =
                ai.djl.basicdataset.cv.classification.ImageFolder.builder()
                        .setRepositoryPath(split)
                        .addTransform(new RandomResizedCrop(scale.width(), scale.height()))
                        // DJL's crop skips the resize in its fallback; without this the batch cannot be stacked
                        .addTransform(new Resize(scale.width(), scale.height()))
                        .addTransform(new RandomFlipLeftRight())
                        .addTransform(new ToTensor())
                        .setSampling(batch, true)
                        .optPrefetchNumber(2 * threads)
                        .build();
        ExecutorService executor = Executors.newFixedThreadPool(threads);
        long start;
        int done = 0;
        try (NDManager manager = NDManager.newBaseManager()) {
            dataset.prepare();
            start = System.nanoTime();
            while (done < n) {
                for (ai.djl.training.dataset.Batch b : dataset.getData(manager, executor)) {
                    done += b.getSize();
                    b.close();
                    if (done >= n) {
                        break;
                    }
                }
            }
        } catch (TranslateException e) {
            throw new IOException(e);
        } finally {
            executor.shutdownNow();
        }
        double seconds = (System.nanoTime() - start) / 1e9 * n / done;
        try {
            executor.awaitTermination(1, TimeUnit.MINUTES);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return seconds;
    }

    private static void deleteTree(Path root) {
        try (Stream<Path> walk = Files.walk(root)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            System.err.println("warning: could not delete " + root + ": " + e.getMessage());
        }
    }
}
