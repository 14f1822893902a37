package mobilevit.data;

/** Produces one sample's float32 CHW values into a batch buffer. */
@FunctionalInterface
interface SampleSource {

    /**
     * Writes sample {@code sample} of shard {@code shard} of {@code batch} (dataset index
     * {@code index}) into {@code dst[offset, offset + 3 * h * w)}.
     */
    void fill(SampledBatch batch, int shard, int sample, int index, float[] dst, int offset)
            throws UnreadableImageException;
}
