package mobilevit.data.pipeline;

import java.util.Arrays;

/**
 * One iteration of the multi-scale sampler: its crop size, and for each replica the dataset indices
 * of its shard. The shards are replicas {@code firstShard ..} of the sampler's (all of them, or one
 * process's share of them, see {@link #slice}); sample s of shard k is the epoch's sample number
 * {@code firstPosition + (firstShard + k) * batch + s} (its position in the epoch's stream, which
 * seeds its augmentation).
 */
public record SampledBatch(int epoch, int iteration, Scale scale, long firstPosition, int firstShard, int[][] shards) {

    /** The position in the epoch's stream of sample {@code s} of shard {@code k}. */
    public long position(int shard, int sample) {
        return firstPosition + (long) (firstShard + shard) * scale.batch() + sample;
    }

    /** Shards {@code first .. first+count-1} of this batch only (positions unchanged), e.g. one process's replicas. */
    public SampledBatch slice(int first, int count) {
        if (first < 0 || count < 1 || first + count > shards.length) {
            throw new IllegalArgumentException("shards " + first + ".." + (first + count - 1) + " of a batch of "
                    + shards.length);
        }
        if (first == 0 && count == shards.length) {
            return this;
        }
        return new SampledBatch(epoch, iteration, scale, firstPosition, firstShard + first,
                Arrays.copyOfRange(shards, first, first + count));
    }
}
