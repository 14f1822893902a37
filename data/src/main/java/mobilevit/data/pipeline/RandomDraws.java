package mobilevit.data.pipeline;

import mobilevit.data.dataset.Seeds;

import java.util.SplittableRandom;

/**
 * The uniform draws of the random augmentations, in the two forms Python's {@code random} module
 * gives CVNets v0.1 ({@code random.uniform}, {@code random.randint}). An interface so that tests can
 * replay draws recorded from the reference implementation.
 */
public interface RandomDraws {

    /** A value in [lo, hi), drawn as {@code lo + (hi - lo) * U[0, 1)} like {@code random.uniform}. */
    double uniform(double lo, double hi);

    /** An integer in [lo, hi], both ends included, like {@code random.randint}. */
    int integer(int lo, int hi);

    /** Draws from a generator seeded by the given parts (see {@link Seeds}). */
    static RandomDraws seeded(long... parts) {
        SplittableRandom random = Seeds.random(parts);
        return new RandomDraws() {
            @Override
            public double uniform(double lo, double hi) {
                return lo + (hi - lo) * random.nextDouble();
            }

            @Override
            public int integer(int lo, int hi) {
                return lo + random.nextInt(hi - lo + 1);
            }
        };
    }
}
