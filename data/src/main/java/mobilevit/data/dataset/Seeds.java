package mobilevit.data.dataset;

import mobilevit.core.SplitMix64;

import java.util.SplittableRandom;

/**
 * Seeds of the data pipeline's generators, derived from the run's seed and the coordinates of a
 * draw (epoch, sample position, ...). Nothing here reads a clock or a global generator, so every
 * draw is a function of its coordinates only: the same whatever the thread count or the resume point.
 */
public final class Seeds {

    /** Streams: generators that must not share draws get different stream numbers. */
    public static final long PERMUTATION = 1;
    public static final long SCALES = 2;
    public static final long SAMPLE = 3;

    private Seeds() {}

    /** A 64-bit hash of the parts (SplitMix64's finaliser applied after each part). */
    public static long mix(long... parts) {
        long h = 0x6A09E667F3BCC909L;
        for (long p : parts) {
            h = SplitMix64.finalise(h + SplitMix64.GAMMA + p);
        }
        return h;
    }

    /** A generator seeded by the parts. */
    public static SplittableRandom random(long... parts) {
        return new SplittableRandom(mix(parts));
    }
}
