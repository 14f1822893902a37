package mobilevit.data;

import java.util.SplittableRandom;

/**
 * Seeds of the data pipeline's generators, derived from the run's seed and the coordinates of a
 * draw (epoch, sample position, ...). Nothing here reads a clock or a global generator, so every
 * draw is a function of its coordinates only: the same whatever the thread count or the resume point.
 */
public final class Seeds {

    /** Streams: generators that must not share draws get different stream numbers. */
    static final long PERMUTATION = 1;
    static final long SCALES = 2;
    static final long SAMPLE = 3;

    private Seeds() {}

    /** A 64-bit hash of the parts (SplitMix64's finaliser applied after each part). */
    public static long mix(long... parts) {
        long h = 0x6A09E667F3BCC909L;
        for (long p : parts) {
            h = finalise(h + 0x9E3779B97F4A7C15L + p);
        }
        return h;
    }

    /** A generator seeded by the parts. */
    public static SplittableRandom random(long... parts) {
        return new SplittableRandom(mix(parts));
    }

    /**
     * SplitMix64's finaliser (Steele, Lea and Flood, 2014): a bijective 64-bit mix. The project's
     * one copy; the trainer derives its dropout seeds with it too.
     */
    public static long finalise(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
