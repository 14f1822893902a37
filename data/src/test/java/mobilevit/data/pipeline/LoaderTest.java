package mobilevit.data.pipeline;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import mobilevit.data.TestImages;
import mobilevit.data.dataset.ImageFolder;
import mobilevit.data.dataset.Seeds;
import mobilevit.data.dataset.SyntheticImageNet;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LoaderTest {

    @TempDir
    static Path tmp;

    static ImageFolder train;
    static ImageFolder val;

    @BeforeAll
    static void dataset() throws Exception {
        SyntheticImageNet.generate(tmp.resolve("synth"), 4, 13, 5, 3);
        train = ImageFolder.open(tmp.resolve("synth/train"), null);
        val = ImageFolder.open(tmp.resolve("synth/val"), null);
    }

    private static MultiScaleSampler sampler() {
        return MultiScaleSampler.of(ScaleTable.Params.square(64, 32, 96, 3, 32, 4, 2), train.size(), 21);
    }

    private static List<Batch> collect(Batches batches) {
        List<Batch> out = new ArrayList<>();
        try (batches) {
            while (batches.hasNext()) {
                out.add(batches.next());
            }
        }
        return out;
    }

    private static List<Batch> epoch(int workers, int prefetch, int epoch, int start) {
        try (TrainLoader loader = new TrainLoader(train, sampler(), TrainTransform.paper(), workers, prefetch, 5)) {
            return collect(loader.epoch(epoch, start));
        }
    }

    @Test
    void batchesAreBitIdenticalWithOneAndFourThreads() {
        for (int epoch = 0; epoch < 2; epoch++) {
            List<Batch> one = epoch(1, 1, epoch, 0);
            List<Batch> four = epoch(4, 3, epoch, 0);
            assertEquals(sampler().iterations(epoch), one.size());
            assertSameBatches(one, four);
        }
    }

    @Test
    void resumingMidEpochGivesTheSameBatches() {
        List<Batch> whole = epoch(2, 2, 1, 0);
        List<Batch> resumed = epoch(2, 2, 1, 3);
        assertSameBatches(whole.subList(3, whole.size()), resumed);
        assertEquals(3, resumed.get(0).iteration());
    }

    @Test
    void batchesFollowTheSamplerAndHoldTheTransformedImages() throws Exception {
        MultiScaleSampler sampler = sampler();
        List<Batch> batches = epoch(2, 2, 0, 0);
        for (Batch b : batches) {
            SampledBatch plan = sampler.batch(0, b.iteration());
            assertEquals(plan.scale().height(), b.height());
            assertEquals(2, b.replicas());
            for (int k = 0; k < 2; k++) {
                assertArrayEquals(plan.shards()[k], b.indices(k));
                assertEquals(plan.scale().batch(), b.shardSize(k));
                for (int s = 0; s < b.shardSize(k); s++) {
                    assertEquals(train.label(plan.shards()[k][s]), b.labelArray(k)[s]);
                }
            }
            assertTrue(b.waitNanos() >= 0);
        }
        // Sample (0, 1) of the first batch is the transform of its file with its own seed.
        Batch first = batches.get(0);
        int h = first.height();
        ByteBuffer expected = ByteBuffer.allocateDirect(3 * h * h);
        long position = first.plan().position(1, 2);
        TrainTransform.paper().apply(TestImages.direct(Files.readAllBytes(train.path(first.indices(1)[2]))), h, h,
                () -> RandomDraws.seeded(5, Seeds.SAMPLE, 0, position), expected, 0);
        assertEquals(expected, first.pixels(1).slice(2 * 3 * h * h, 3 * h * h));
    }

    @Test
    void handsOverNdArraysThatTheConsumerOwns() {
        Batch b = epoch(1, 1, 0, 0).get(0);
        NDArray images;
        NDArray labels;
        try (NDManager manager = NDManager.newBaseManager()) {
            images = b.images(manager, 1);
            labels = b.labels(manager, 1);
            assertEquals(new Shape(b.shardSize(1), 3, b.height(), b.width()), images.getShape());
            assertEquals(DataType.FLOAT32, images.getDataType());
            assertEquals(DataType.INT64, labels.getDataType());
            float[] expected = new float[(int) images.size()];
            Planes.toFloats(b.pixels(1), 0, expected);
            assertArrayEquals(expected, images.toFloatArray(), "uint8 / 255 on the device is the loader's x / 255");
            assertArrayEquals(b.labelArray(1), labels.toLongArray());
            float min = images.min().getFloat();
            float max = images.max().getFloat();
            assertTrue(min >= 0 && max <= 1 && max > min);
        }
        assertTrue(images.isReleased() && labels.isReleased(), "closing the manager frees the batch's arrays");
    }

    @Test
    void closingStopsTheWorkers() throws Exception {
        TrainLoader loader = new TrainLoader(train, sampler(), TrainTransform.paper(), 3, 2, 5);
        Batches batches = loader.epoch(0, 0);
        batches.next();
        batches.close();
        assertFalse(batches.hasNext());
        loader.close();
        long deadline = System.nanoTime() + 60_000_000_000L; // a bound on the wait, not a speed check
        while (liveWorkers() > 0 && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertEquals(0, liveWorkers());

        // Closing the loader closes its open passes too: nothing waits on a batch that will never come.
        TrainLoader second = new TrainLoader(train, sampler(), TrainTransform.paper(), 2, 3, 5);
        Batches open = second.epoch(1, 0);
        open.next();
        second.close();
        assertFalse(open.hasNext());
    }

    private static long liveWorkers() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.isAlive() && t.getName().startsWith("mobilevit-train-data")).count();
    }

    @Test
    void evaluationSeesEveryImageOnceInFileOrder() throws Exception {
        EvalTransform transform = new EvalTransform(72, 64, Interpolation.BILINEAR);
        try (EvalLoader loader = new EvalLoader(val, transform, 6, 3, 2)) {
            List<Batch> batches = collect(loader.batches(null));
            assertEquals(4, batches.size()); // 20 images in batches of 6
            List<Integer> seen = new ArrayList<>();
            for (Batch b : batches) {
                assertEquals(1, b.replicas());
                for (int i : b.indices(0)) {
                    seen.add(i);
                }
            }
            assertEquals(2, batches.get(3).shardSize(0));
            List<Integer> all = new ArrayList<>();
            for (int i = 0; i < val.size(); i++) {
                all.add(i);
            }
            assertEquals(all, seen);
            float[] expected = transform.apply(Files.readAllBytes(val.path(13)));
            float[] actual = new float[expected.length];
            Planes.toFloats(batches.get(2).pixels(0), expected.length, actual);
            assertArrayEquals(expected, actual);
        }
    }

    @Test
    void eachProcessLoadsOnlyItsShardsAndGetsTheImagesTheWholeBatchHasThere() {
        List<Batch> whole = epoch(2, 2, 1, 0);
        for (int shard = 0; shard < 2; shard++) {
            List<Batch> local;
            try (TrainLoader loader = new TrainLoader(train, sampler(), TrainTransform.paper(), 2, 2, 5)
                    .localShards(shard, 1)) {
                local = collect(loader.epoch(1, 0));
            }
            assertEquals(whole.size(), local.size());
            for (int i = 0; i < whole.size(); i++) {
                Batch a = whole.get(i);
                Batch b = local.get(i);
                assertEquals(1, b.replicas());
                assertEquals(shard, b.plan().firstShard());
                assertArrayEquals(a.indices(shard), b.indices(0));
                assertArrayEquals(a.labelArray(shard), b.labelArray(0));
                int n = a.shardSize(shard) * 3 * a.height() * a.width();
                assertEquals(a.pixels(shard).slice(0, n), b.pixels(0).slice(0, n),
                        "images of batch " + i + " shard " + shard); // same positions, so the same crops and flips
            }
        }
    }

    private static void assertSameBatches(List<Batch> expected, List<Batch> actual) {
        assertEquals(expected.size(), actual.size());
        for (int i = 0; i < expected.size(); i++) {
            Batch a = expected.get(i);
            Batch b = actual.get(i);
            assertEquals(a.iteration(), b.iteration());
            assertEquals(a.height(), b.height());
            assertEquals(a.width(), b.width());
            for (int k = 0; k < a.replicas(); k++) {
                assertArrayEquals(a.indices(k), b.indices(k));
                assertArrayEquals(a.labelArray(k), b.labelArray(k));
                assertEquals(a.pixels(k), b.pixels(k), "images of batch " + a.iteration() + " shard " + k);
            }
        }
    }
}
