package mobilevit.data.pipeline;

import mobilevit.data.dataset.ImageFolder;

import java.nio.file.Path;
import java.util.Arrays;

/**
 * The evaluation loader: a split in file order, in batches of a fixed size (the last one smaller),
 * through the {@link EvalTransform}. Every image is in exactly one batch; unreadable ones are left
 * out of their batch and listed in {@link Batch#skipped()}.
 */
public final class EvalLoader implements AutoCloseable {

    private final ImageFolder folder;
    private final EvalTransform transform;
    private final int batchSize;
    private final int prefetch;
    private final WorkerPool workers;

    public EvalLoader(ImageFolder folder, EvalTransform transform, int batchSize, int workers, int prefetchBatches) {
        if (batchSize <= 0 || prefetchBatches <= 0) {
            throw new IllegalArgumentException("batch size and prefetch must be positive, got " + batchSize + " and "
                    + prefetchBatches);
        }
        this.folder = folder;
        this.transform = transform;
        this.batchSize = batchSize;
        this.prefetch = prefetchBatches;
        this.workers = new WorkerPool(workers, "mobilevit-eval-data", prefetchBatches + 2);
    }

    /** Number of images of a pass (readable or not). */
    public int imageCount() {
        return folder.size();
    }

    /** Number of batches of a pass. */
    public int batchCount() {
        return (folder.size() + batchSize - 1) / batchSize;
    }

    /** One pass over the split; {@code skippedList}, if not null, lists the unreadable images at the end. */
    public Batches batches(Path skippedList) {
        Scale scale = new Scale(transform.crop(), transform.crop(), batchSize);
        SampleSource source = (batch, shard, sample, index, dst, offset) ->
                transform.apply(folder.path(index), dst, offset);
        return workers.pass(folder, t -> {
            int from = t * batchSize;
            int[] indices = new int[Math.min(batchSize, folder.size() - from)];
            Arrays.setAll(indices, i -> from + i);
            return new SampledBatch(0, t, scale, from, 0, new int[][] {indices});
        }, source, 0, batchCount(), prefetch, skippedList, "evaluation of " + folder.root());
    }

    @Override
    public void close() {
        workers.close();
    }
}
