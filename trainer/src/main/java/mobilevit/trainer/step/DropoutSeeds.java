package mobilevit.trainer.step;

import mobilevit.core.SplitMix64;

/**
 * The seed of a training forward's dropout masks ({@link mobilevit.model.DropoutStream}): a
 * function of the run's seed, the optimizer step, the replica and the micro-batch alone, so that a
 * resumed run draws the masks an uninterrupted one draws.
 */
final class DropoutSeeds {

    private DropoutSeeds() {}

    /**
     * The seed for micro-batch {@code micro} (gradient accumulation; 0 without) of training step
     * {@code step} of replica {@code replica} (its number among every process's replicas) of a run
     * seeded {@code runSeed}.
     */
    static long of(long runSeed, long step, int replica, int micro) {
        return SplitMix64.finalise(SplitMix64.finalise(SplitMix64.finalise(runSeed) ^ step) ^ (replica | (long) micro << 32));
    }
}
