package mobilevit.data.pipeline;

import mobilevit.data.codec.UnreadableImageException;

import java.nio.ByteBuffer;

/** Produces one sample's 8-bit CHW planes into a batch buffer. */
@FunctionalInterface
interface SampleSource {

    /**
     * Writes sample {@code sample} of shard {@code shard} of {@code batch} (dataset index
     * {@code index}) into {@code dst[offset, offset + 3 * h * w)}.
     */
    void fill(SampledBatch batch, int shard, int sample, int index, ByteBuffer dst, int offset)
            throws UnreadableImageException;
}
