package mobilevit.data.pipeline;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import java.lang.ref.Reference;
import java.nio.ByteBuffer;
import java.util.List;

/**
 * One batch from a loader: for each replica (shard) its images as one 8-bit NCHW block (BGR) in
 * direct (off-heap) memory, and its labels. Unreadable images are left out, so a shard may hold
 * fewer images than the sampler's batch. {@link #images} hands the bytes to the caller's manager's
 * device (a quarter of the bytes float32 pixels would take) and converts them there to the float32
 * values x / 255 the model takes; the manager owns the arrays. {@link #close} hands the pixel
 * memory back to the loader for its next batches.
 */
public final class Batch implements AutoCloseable {

    private final SampledBatch spec;
    private final int height;
    private final int width;
    private final ByteBuffer[] pixels;
    private final long[][] labels;
    private final int[][] indices;
    private final List<SkippedImage> skipped;
    private final long waitNanos;
    private final BatchMemory memory;
    private volatile boolean closed;

    Batch(SampledBatch spec, int height, int width, ByteBuffer[] pixels, long[][] labels, int[][] indices,
          List<SkippedImage> skipped, long waitNanos, BatchMemory memory) {
        this.spec = spec;
        this.memory = memory;
        this.height = height;
        this.width = width;
        this.pixels = pixels;
        this.labels = labels;
        this.indices = indices;
        this.skipped = List.copyOf(skipped);
        this.waitNanos = waitNanos;
    }

    Batch withWait(long nanos) {
        return new Batch(spec, height, width, pixels, labels, indices, skipped, nanos, memory);
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
        return pixels.length;
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

    /**
     * The images of shard {@code k}: float32 [n, 3, height, width] on {@code manager}'s device, BGR,
     * x / 255. The uint8 pixels are copied to the device (none on the CPU, whose tensor reads the
     * batch's memory) and divided there, in float32, by a 255 that is itself a tensor on the device:
     * CUDA would multiply by a float32 reciprocal if the divisor were a host scalar, and that differs
     * from x / 255 for 126 of the 256 byte values.
     */
    public NDArray images(NDManager manager, int k) {
        Shape shape = new Shape(shardSize(k), 3, height, width);
        checkOpen();
        if (shardSize(k) == 0) {
            return manager.zeros(shape);
        }
        try (NDArray bytes = manager.create(pixels[k].slice(0, Math.toIntExact(shape.size())), shape, DataType.UINT8);
             NDArray values = bytes.toType(DataType.FLOAT32, false);
             NDArray divisor = manager.create(255f)) {
            return values.div(divisor);
        } finally {
            Reference.reachabilityFence(pixels[k]);
        }
    }

    /** The labels of shard {@code k}: int64 [n] on {@code manager}'s device. */
    public NDArray labels(NDManager manager, int k) {
        if (labels[k].length == 0) {
            return manager.zeros(new Shape(0), DataType.INT64);
        }
        return manager.create(labels[k]);
    }

    /** The 8-bit pixels of shard {@code k}, NCHW, n * 3 * height * width bytes; read-only, not a copy. */
    public ByteBuffer pixels(int k) {
        checkOpen();
        return pixels[k].slice(0, shardSize(k) * 3 * height * width).asReadOnlyBuffer();
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

    /**
     * Hands the pixel memory back to the loader, which fills it with later batches: call it once the
     * images are on their devices. Labels, indices and the rest stay readable; the images do not.
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        for (ByteBuffer b : pixels) {
            memory.give(b);
        }
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("batch " + spec.iteration() + " is closed: its images were handed back");
        }
    }
}
