package mobilevit.data;

/**
 * One iteration of the multi-scale sampler: its crop size, and for each replica the dataset indices
 * of its shard. Sample s of shard k is the epoch's sample number {@code firstPosition + k * batch + s}
 * (its position in the epoch's stream, which seeds its augmentation).
 */
public record SampledBatch(int epoch, int iteration, Scale scale, long firstPosition, int[][] shards) {

    /** The position in the epoch's stream of sample {@code s} of shard {@code k}. */
    public long position(int shard, int sample) {
        return firstPosition + (long) shard * scale.batch() + sample;
    }
}
