package mobilevit.core;

/**
 * SplitMix64 (Steele, Lea and Flood, 2014), the project's one copy: the data pipeline's seeds
 * ({@code Seeds.mix}), the trainer's dropout seeds and the model's dropout draws derive from it.
 */
public final class SplitMix64 {

    /** The sequence's increment: the golden ratio's 64-bit fraction. */
    public static final long GAMMA = 0x9E3779B97F4A7C15L;

    private SplitMix64() {}

    /** The finaliser: a bijective 64-bit mix. */
    public static long finalise(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /** Value {@code k} (1, 2, ...) of the sequence started at {@code seed}: finalise(seed + k * GAMMA). */
    public static long value(long seed, long k) {
        return finalise(seed + k * GAMMA);
    }
}
