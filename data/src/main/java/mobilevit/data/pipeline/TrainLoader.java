package mobilevit.data.pipeline;

import mobilevit.data.dataset.ImageFolder;
import mobilevit.data.dataset.Seeds;

import java.nio.file.Path;

/**
 * The training loader: the {@link MultiScaleSampler}'s batches, each image read, augmented by the
 * {@link TrainTransform} and written into its shard's buffer by a pool of worker threads. Every
 * random choice for a sample comes from a generator seeded by (seed, epoch, the sample's position in
 * the epoch), so batches are bit-identical whatever the number of workers, and a resumed run gets
 * the same batches as an uninterrupted one.
 */
public final class TrainLoader implements AutoCloseable {

    private final ImageFolder folder;
    private final MultiScaleSampler sampler;
    private final TrainTransform transform;
    private final int prefetch;
    private final long seed;
    private final WorkerPool workers;
    private Path skippedListFolder;
    private int firstShard;
    private int shardCount;

    /**
     * @param workers decoding threads
     * @param prefetchBatches batches prepared ahead of the consumer (memory: that many batches plus
     *     the one in use)
     * @param seed seed of the augmentation draws
     */
    public TrainLoader(ImageFolder folder, MultiScaleSampler sampler, TrainTransform transform, int workers,
                       int prefetchBatches, long seed) {
        if (sampler.datasetSize() != folder.size()) {
            throw new IllegalArgumentException("the sampler is for " + sampler.datasetSize() + " images, the folder has "
                    + folder.size());
        }
        if (prefetchBatches <= 0) {
            throw new IllegalArgumentException("prefetch must be at least 1 batch, got " + prefetchBatches);
        }
        this.folder = folder;
        this.sampler = sampler;
        this.transform = transform;
        this.prefetch = prefetchBatches;
        this.seed = seed;
        // the batches being prepared, the one in use and the one before it, one buffer per shard
        this.workers = new WorkerPool(workers, "mobilevit-train-data", (prefetchBatches + 2) * sampler.replicas());
        this.shardCount = sampler.replicas();
    }

    /**
     * Loads only the sampler's shards {@code first .. first+count-1} (one process's replicas when
     * several processes train together); batches then hold those shards alone, numbered from 0.
     */
    public TrainLoader localShards(int first, int count) {
        if (first < 0 || count < 1 || first + count > sampler.replicas()) {
            throw new IllegalArgumentException("shards " + first + ".." + (first + count - 1) + " of a sampler for "
                    + sampler.replicas() + " replicas");
        }
        this.firstShard = first;
        this.shardCount = count;
        return this;
    }

    /**
     * Where to list each epoch's unreadable images ({@code skipped-epoch-<e>.txt}, written at the
     * epoch's end when there were any); null for nowhere (they are logged either way).
     */
    public TrainLoader skippedListFolder(Path folder) {
        this.skippedListFolder = folder;
        return this;
    }

    /** The batches of {@code epoch} from iteration {@code startIteration} to the epoch's end. */
    public Batches epoch(int epoch, int startIteration) {
        int end = sampler.iterations(epoch);
        if (startIteration < 0 || startIteration > end) {
            throw new IllegalArgumentException("epoch " + epoch + " has " + end + " iterations; cannot start at "
                    + startIteration);
        }
        Path list = skippedListFolder == null ? null : skippedListFolder.resolve("skipped-epoch-" + epoch + ".txt");
        SampleSource source = (batch, shard, sample, index, dst, offset) -> {
            long position = batch.position(shard, sample);
            transform.apply(folder.path(index), batch.scale().height(), batch.scale().width(),
                    () -> RandomDraws.seeded(seed, Seeds.SAMPLE, epoch, position), dst, offset);
        };
        return workers.pass(folder, it -> sampler.batch(epoch, it).slice(firstShard, shardCount), source,
                startIteration, end, prefetch, list, "epoch " + epoch);
    }

    /** Closes the open passes and stops the workers; batches already handed out stay valid. */
    @Override
    public void close() {
        workers.close();
    }
}
