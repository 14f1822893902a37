package mobilevit.data;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import java.nio.FloatBuffer;
import java.util.List;

/**
 * One batch from a loader: for each replica (shard) its images as one float32 NCHW block (BGR,
 * [0, 1]) and its labels. Unreadable images are left out, so a shard may hold fewer images than the
 * sampler's batch. The arrays stay on the Java heap: {@link #images} and {@link #labels} copy them
 * into NDArrays of the caller's manager, which owns them.
 */
public final class Batch {

    private final SampledBatch spec;
    private final int height;
    private final int width;
    private final float[][] images;
    private final long[][] labels;
    private final int[][] indices;
    private final List<SkippedImage> skipped;
    private final long waitNanos;

    Batch(SampledBatch spec, int height, int width, float[][] images, long[][] labels, int[][] indices,
          List<SkippedImage> skipped, long waitNanos) {
        this.spec = spec;
        this.height = height;
        this.width = width;
        this.images = images;
        this.labels = labels;
        this.indices = indices;
        this.skipped = List.copyOf(skipped);
        this.waitNanos = waitNanos;
    }

    Batch withWait(long nanos) {
        return new Batch(spec, height, width, images, labels, indices, skipped, nanos);
    }

    /** The epoch (from 0); 0 for evaluation. */
    public int epoch() {
        return spec.epoch();
    }

    /** The iteration within the epoch (from 0); the batch number for evaluation. */
    public int iteration() {
        return spec.iteration();
    }

    public int height() {
        return height;
    }

    public int width() {
        return width;
    }

    /** The number of shards (one per replica). */
    public int replicas() {
        return images.length;
    }

    /** Images in shard {@code k} (the sampler's batch minus the unreadable ones). */
    public int shardSize(int k) {
        return labels[k].length;
    }

    /** Images in all shards. */
    public int size() {
        int n = 0;
        for (long[] l : labels) {
            n += l.length;
        }
        return n;
    }

    /** The images of shard {@code k}: float32 [n, 3, height, width] on {@code manager}'s device. */
    public NDArray images(NDManager manager, int k) {
        Shape shape = new Shape(shardSize(k), 3, height, width);
        if (shardSize(k) == 0) {
            return manager.zeros(shape);
        }
        return manager.create(FloatBuffer.wrap(images[k], 0, Math.toIntExact(shape.size())), shape);
    }

    /** The labels of shard {@code k}: int64 [n] on {@code manager}'s device. */
    public NDArray labels(NDManager manager, int k) {
        if (labels[k].length == 0) {
            return manager.zeros(new Shape(0), DataType.INT64);
        }
        return manager.create(labels[k]);
    }

    /** The flat float32 values of shard {@code k} (n * 3 * height * width of them are used); not a copy. */
    public float[] imageData(int k) {
        return images[k];
    }

    /** The labels of shard {@code k}; a copy. */
    public long[] labelArray(int k) {
        return labels[k].clone();
    }

    /** The dataset indices of shard {@code k}'s images, in order; a copy. */
    public int[] indices(int k) {
        return indices[k].clone();
    }

    /** The images of this batch that were left out. */
    public List<SkippedImage> skipped() {
        return skipped;
    }

    /** Nanoseconds the consumer waited for this batch (0 when it was ready). */
    public long waitNanos() {
        return waitNanos;
    }

    /** The sampler's plan of this batch. */
    public SampledBatch plan() {
        return spec;
    }
}
