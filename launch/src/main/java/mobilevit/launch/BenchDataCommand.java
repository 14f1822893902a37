package mobilevit.launch;

import ai.djl.modality.cv.transform.RandomFlipLeftRight;
import ai.djl.modality.cv.transform.RandomResizedCrop;
import ai.djl.modality.cv.transform.Resize;
import ai.djl.modality.cv.transform.ToTensor;
import ai.djl.ndarray.NDManager;
import ai.djl.translate.TranslateException;

import mobilevit.core.FileTrees;
import mobilevit.core.UserError;
import mobilevit.data.codec.JpegDecoder;
import mobilevit.data.codec.PixelLimit;
import mobilevit.data.codec.RestartMarkers;
import mobilevit.data.dataset.ImageFolder;
import mobilevit.data.dataset.RestartMarkedCopy;
import mobilevit.data.dataset.SyntheticImageNet;
import mobilevit.data.pipeline.Batch;
import mobilevit.data.pipeline.Batches;
import mobilevit.data.pipeline.Interpolation;
import mobilevit.data.pipeline.MultiScaleSampler;
import mobilevit.data.pipeline.Scale;
import mobilevit.data.pipeline.ScaleTable;
import mobilevit.data.pipeline.TrainLoader;
import mobilevit.data.pipeline.TrainTransform;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * {@code bench data}: training-data throughput (read, decode, random crop, resize, flip, batch as
 * uint8 NCHW) of this project's loader with libjpeg-turbo decoding, with the same on a
 * restart-marked copy of the files ({@code transcode}; synthetic set only), and with OpenCV
 * decoding, and, in the same run on the same files, of DJL's stock ImageFolder with its default
 * image factory and its RandomResizedCrop, RandomFlipLeftRight and ToTensor transforms (plus a
 * Resize, which DJL's crop needs to give one shape), at each of the paper's training scales, for 1
 * and 2 threads; then the fastest path's scaling over a list of thread counts, and the memory one
 * image's preparation allocates on the Java heap.
 */
@Command(name = "data", mixinStandardHelpOptions = true,
        description = "Images/s of training-data loading at the paper's scales: libjpeg-turbo (on the files, and on "
                + "a restart-marked copy) and OpenCV decoding, next to DJL's stock ImageFolder pipeline as the "
                + "baseline, and a thread scaling table.")
final class BenchDataCommand implements Runnable {

    private static final int[] COMPARED_THREADS = {1, 2};

    @Option(names = "--data", description = "dataset folder (with train/) or a split folder; default: a synthetic "
            + "set of 640 ImageNet-like JPEGs (500x375, quality 90) made in a temporary folder")
    Path data;

    @Option(names = "--threads", defaultValue = "1,2", split = ",",
            description = "thread counts of the scaling table (default ${DEFAULT-VALUE}); the comparison always "
                    + "runs 1 and 2")
    int[] threads;

    @Option(names = "--images", defaultValue = "128", description = "timed images per scale and pipeline (default ${DEFAULT-VALUE})")
    int images;

    @Option(names = "--batch", defaultValue = "32", description = "batch size (default ${DEFAULT-VALUE})")
    int batch;

    @Option(names = "--decoding", defaultValue = "region", description = "how much of each JPEG our pipelines "
            + "decode: region (the crop's rows and columns, the training default; libjpeg-turbo only), reduced "
            + "(the whole image, DCT-scaled when the crop allows) or full (default ${DEFAULT-VALUE})")
    String decodingName;

    private TrainTransform.Decoding decoding;

    @Override
    public void run() {
        for (int t : threads) {
            Args.positive("--threads", t);
        }
        Args.positive("--images", images);
        Args.positive("--batch", batch);
        decoding = Args.choice(TrainTransform.Decoding::parse, decodingName);
        // One core per loading thread for every pipeline: PyTorch's own intra-op threads would give DJL's
        // transforms more cores than their threads (and spin against each other on a busy machine).
        if (System.getProperty("ai.djl.pytorch.num_threads") == null) {
            System.setProperty("ai.djl.pytorch.num_threads", "1");
            System.setProperty("ai.djl.pytorch.num_interop_threads", "1");
        }
        Path temp = null;
        try {
            Path split;
            Path marked = null;
            if (data == null) {
                temp = Files.createTempDirectory("mobilevit-bench-data-");
                SyntheticImageNet.generate(temp.resolve("synth"), 10, 64, 0, 0, SyntheticImageNet.ImageSize.IMAGENET);
                split = temp.resolve("synth/train");
                if (RestartMarkers.available()) {
                    RestartMarkedCopy.copy(split, temp.resolve("marked"), Runtime.getRuntime().availableProcessors(),
                            (done, total) -> { });
                    marked = temp.resolve("marked");
                }
            } else {
                split = Files.isDirectory(data.resolve("train")) ? data.resolve("train") : data;
            }
            run(split, marked, temp == null ? ImageFolder.defaultCacheFolder() : null);
        } catch (IOException e) {
            throw new UserError("benchmark failed: " + e.getMessage(), 1);
        } finally {
            if (temp != null) {
                deleteTemporary(temp);
            }
        }
    }

    /** images/s of one pipeline at one thread count: per scale and over all of them. */
    private record Speeds(double[] perScale, double all) {}

    /** One of our loaders: a folder read with a transform. */
    private record Pipeline(ImageFolder folder, TrainTransform transform) {}

    private static final Speeds NOT_RUN = new Speeds(null, Double.NaN);

    /**
     * {@code marked}: the same files with a restart marker after every MCU (made for the synthetic set
     * by {@code transcode}'s code), or null.
     */
    private void run(Path split, Path marked, Path indexCache) throws IOException {
        ImageFolder folder = ImageFolder.open(split, indexCache);
        if (JpegDecoder.best() != JpegDecoder.TURBOJPEG) {
            System.out.println("warning: libturbojpeg.so.0 is not installed (apt-get install libturbojpeg0), so the "
                    + "turbo path decodes with OpenCV too");
        }
        List<Scale> scales = ScaleTable.of(ScaleTable.Params.paper(batch, 1));
        if (decoding == TrainTransform.Decoding.REGION && !JpegDecoder.decodesRegions()) {
            System.out.println("warning: region decoding is off (see the log line above), so the turbo path decodes "
                    + "whole JPEGs");
        }
        if (marked == null) {
            System.out.println(data == null ? "note: no restart-marked copy (re-encoding needs region decoding's "
                    + "library), so the restarts column is empty" : "note: the restarts column is for the synthetic "
                    + "set; to measure restart markers on your data, bench a copy made by `transcode`");
        }
        Pipeline turbo = new Pipeline(folder, transform(JpegDecoder.TURBOJPEG));
        Pipeline opencv = new Pipeline(folder, transform(JpegDecoder.OPENCV));
        Pipeline restarts = marked == null ? null : new Pipeline(ImageFolder.open(marked, null), turbo.transform());
        List<Pipeline> ours = restarts == null ? List.of(turbo, opencv) : List.of(turbo, opencv, restarts);
        System.out.printf(Locale.ROOT, "%s: %d images; %d timed images per scale and pipeline, batch %d; machine: %d "
                + "cores, load average %.2f%n", folder.root(), folder.size(), images, batch,
                Runtime.getRuntime().availableProcessors(), loadAverage());
        int warmUp = Math.min(images, 2 * batch); // JIT, natives, page cache
        for (Pipeline p : ours) {
            ours(p, scales.get(0), 1, warmUp);
        }
        djl(split, scales.get(0), 1, warmUp);

        System.out.println("turbo: libjpeg-turbo; restarts: the same, on a restart-marked copy of the files (transcode)");
        System.out.printf(Locale.ROOT, "%-8s %-9s %12s %14s %12s %10s %13s %16s %10s%n", "threads", "scale",
                "turbo img/s", "restarts img/s", "opencv img/s", "djl img/s", "turbo/opencv", "restarts/opencv",
                "turbo/djl");
        Speeds[][] compared = new Speeds[COMPARED_THREADS.length][];
        for (int i = 0; i < COMPARED_THREADS.length; i++) {
            int t = COMPARED_THREADS[i];
            Speeds[] measured = compare(ours, split, scales, t);
            // turbo, restarts, opencv, djl
            Speeds[] four = {measured[0], restarts == null ? NOT_RUN : measured[2], measured[1],
                    measured[measured.length - 1]};
            compared[i] = four;
            for (int s = 0; s <= scales.size(); s++) {
                String name = s < scales.size() ? scales.get(s).height() + "x" + scales.get(s).width() : "all";
                double[] v = new double[4];
                for (int k = 0; k < 4; k++) {
                    v[k] = s == scales.size() || four[k].perScale == null ? four[k].all : four[k].perScale[s];
                }
                System.out.printf(Locale.ROOT, "%-8d %-9s %12.1f %14.1f %12.1f %10.1f %13.2f %16.2f %10.2f%n", t, name,
                        v[0], v[1], v[2], v[3], v[0] / v[2], v[1] / v[2], v[0] / v[3]);
            }
        }

        Pipeline scaled = restarts == null ? turbo : restarts;
        int scaledColumn = restarts == null ? 0 : 1;
        System.out.printf(Locale.ROOT, "%s path over all scales, by threads (%d cores):%n",
                restarts == null ? "turbo" : "restarts", Runtime.getRuntime().availableProcessors());
        System.out.printf(Locale.ROOT, "%-8s %12s %14s %10s%n", "threads", "img/s", "img/s/thread", "speedup");
        StringBuilder scaling = new StringBuilder();
        double one = compared[0][scaledColumn].all;
        for (int t : threads) {
            int known = Arrays.binarySearch(COMPARED_THREADS, t);
            double speed = known >= 0 ? compared[known][scaledColumn].all : compare(List.of(scaled), null, scales, t)[0].all;
            System.out.printf(Locale.ROOT, "%-8d %12.1f %14.1f %10.2f%n", t, speed, speed / t, speed / one);
            scaling.append(scaling.length() == 0 ? "" : ",").append(t).append(':')
                    .append(String.format(Locale.ROOT, "%.1f", speed));
        }

        long[] allocated = AllocationProbe.bytesPerImage(scaled.folder(), scaled.transform(), scales.get(2));
        System.out.printf(Locale.ROOT, "heap allocated per image by one thread preparing it (%s path, %s): %d bytes "
                + "over the first %d images, %d over the next %d%n", restarts == null ? "turbo" : "restarts",
                scales.get(2).height() + "x" + scales.get(2).width(), allocated[0], AllocationProbe.IMAGES,
                allocated[1], AllocationProbe.IMAGES);

        Speeds[] t1 = compared[0];
        Speeds[] t2 = compared[1];
        System.out.printf(Locale.ROOT, "turbo_img_s=%.2f restarts_img_s=%.2f opencv_img_s=%.2f djl_img_s=%.2f "
                        + "turbo_vs_opencv=%.3f restarts_vs_opencv=%.3f turbo_vs_djl=%.3f turbo_img_s_2t=%.2f "
                        + "restarts_img_s_2t=%.2f opencv_img_s_2t=%.2f djl_img_s_2t=%.2f scaling=%s "
                        + "alloc_bytes_per_image=%d images=%d batch=%d cores=%d load=%.2f%n",
                t1[0].all, t1[1].all, t1[2].all, t1[3].all, t1[0].all / t1[2].all, t1[1].all / t1[2].all,
                t1[0].all / t1[3].all, t2[0].all, t2[1].all, t2[2].all, t2[3].all, scaling, allocated[1],
                scales.size() * images, batch, Runtime.getRuntime().availableProcessors(), loadAverage());
    }

    private TrainTransform transform(JpegDecoder decoder) {
        return new TrainTransform(mobilevit.data.pipeline.RandomResizedCrop.Variant.CVNETS_V01, Interpolation.BILINEAR,
                decoding, decoder, PixelLimit.DEFAULT);
    }

    private static double loadAverage() {
        return ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
    }

    /**
     * The speeds of each of our pipelines and then (when {@code split} is not null) of DJL's
     * pipeline, scale by scale: the pipelines take turns at each scale, so a change in the machine's
     * load between scales falls on all of them alike.
     */
    private Speeds[] compare(List<Pipeline> ours, Path split, List<Scale> scales, int threads) throws IOException {
        int pipelines = ours.size() + (split == null ? 0 : 1);
        double[][] perScale = new double[pipelines][scales.size()];
        double[] seconds = new double[pipelines];
        for (int s = 0; s < scales.size(); s++) {
            for (int p = 0; p < pipelines; p++) {
                double t = p < ours.size() ? ours(ours.get(p), scales.get(s), threads, images)
                        : djl(split, scales.get(s), threads, images);
                perScale[p][s] = images / t;
                seconds[p] += t;
            }
        }
        Speeds[] out = new Speeds[pipelines];
        for (int p = 0; p < pipelines; p++) {
            out[p] = new Speeds(perScale[p], scales.size() * images / seconds[p]);
        }
        return out;
    }

    /**
     * Counts the images a pipeline hands out once it runs steadily: the first {@code 2 * threads + 1}
     * batches (the prefetch window filling, and each batch's buffers made before the first ones come
     * back for reuse, which a loader does once per run) are not timed.
     */
    private static final class SteadyClock {
        private int warmUp;
        private long start;
        private int done;

        SteadyClock(int threads) {
            warmUp = 2 * threads + 1;
        }

        void batch(int size) {
            if (warmUp > 0 && --warmUp == 0) {
                start = System.nanoTime();
            } else if (warmUp == 0) {
                done += size;
            }
        }

        boolean reached(int n) {
            return warmUp == 0 && done >= n;
        }

        /** Seconds for {@code n} images at the measured rate. */
        double seconds(int n) {
            return (System.nanoTime() - start) / 1e9 * n / done;
        }
    }

    /** Seconds our loader takes for {@code n} images at one scale (batches of that scale only). */
    private double ours(Pipeline pipeline, Scale scale, int threads, int n) {
        Scale fixed = new Scale(scale.height(), scale.width(), batch);
        MultiScaleSampler sampler = new MultiScaleSampler(List.of(fixed), pipeline.folder().size(), 1, 0);
        SteadyClock clock = new SteadyClock(threads);
        try (TrainLoader loader = new TrainLoader(pipeline.folder(), sampler, pipeline.transform(), threads,
                2 * threads, 0)) {
            for (int epoch = 0; !clock.reached(n); epoch++) {
                try (Batches batches = loader.epoch(epoch, 0)) {
                    while (!clock.reached(n) && batches.hasNext()) {
                        try (Batch batch = batches.next()) { // its buffers go back to the loader
                            clock.batch(batch.size());
                        }
                    }
                }
            }
            return clock.seconds(n);
        }
    }

    /** Seconds DJL's stock pipeline takes for {@code n} images at one scale. */
    private double djl(Path split, Scale scale, int threads, int n) throws IOException {
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
        NDManager manager = NDManager.newBaseManager();
        try {
            dataset.prepare();
            SteadyClock clock = new SteadyClock(threads);
            while (!clock.reached(n)) {
                for (ai.djl.training.dataset.Batch b : dataset.getData(manager, executor)) {
                    clock.batch(b.getSize());
                    b.close();
                    if (clock.reached(n)) {
                        break;
                    }
                }
            }
            return clock.seconds(n);
        } catch (TranslateException e) {
            throw new IOException(e);
        } finally {
            // DJL's prefetch tasks may still be making batches in the manager: closing it under them
            // crashed the JVM (use after free in torchStack, 2 of 2 runs of 150 early stops).
            executor.shutdownNow();
            try {
                executor.awaitTermination(1, TimeUnit.MINUTES);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            manager.close();
        }
    }

    private static void deleteTemporary(Path root) {
        try {
            FileTrees.delete(root);
        } catch (IOException e) {
            System.err.println("warning: could not delete " + root + ": " + e.getMessage());
        }
    }
}
