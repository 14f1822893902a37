package mobilevit.trainer.step;

import mobilevit.trainer.config.ScheduleSection;

import java.math.BigDecimal;
import java.math.RoundingMode;

/**
 * CVNets v0.1's cosine schedule with linear warm-up: from {@code warmupInit} to {@code max} over
 * the first {@code warmupIterations} global iterations, then cosine annealing to {@code min},
 * per epoch (the v0.1 configs' default: constant within an epoch) or per iteration. The value
 * applied is round(max(0, lr), 8), as CVNets writes it into the optimizer.
 */
public final class LearningRate {

    private final double max;
    private final double min;
    private final double warmupInit;
    private final long warmupIterations;
    private final ScheduleSection.Mode mode;
    private final int maxEpochs;
    private final long maxIterations;

    /**
     * @param maxIterations the last global iteration index (iterations 0..maxIterations run); used
     *     in iteration mode only
     */
    private LearningRate(double max, double min, double warmupInit, long warmupIterations, ScheduleSection.Mode mode,
            int maxEpochs, long maxIterations) {
        this.max = max;
        this.min = min;
        this.warmupInit = warmupInit;
        this.warmupIterations = warmupIterations;
        this.mode = mode;
        this.maxEpochs = maxEpochs;
        this.maxIterations = maxIterations;
    }

    /**
     * The schedule of a run of {@code totalSteps} optimizer steps over {@code epochs}: warm-up to
     * {@code lr} (optim.lr), then cosine as {@code schedule} says.
     */
    public static LearningRate of(double lr, ScheduleSection schedule, int epochs, long totalSteps) {
        return new LearningRate(lr, schedule.minLr(), schedule.warmupInitLr(), schedule.warmupIterations(),
                schedule.mode(), epochs, totalSteps - 1);
    }

    /** The schedule's value before rounding, at global iteration {@code iteration} in {@code epoch}. */
    public double raw(long iteration, int epoch) {
        if (iteration < warmupIterations) {
            return warmupInit + iteration * ((max - warmupInit) / warmupIterations);
        }
        double progress = mode == ScheduleSection.Mode.EPOCH
                ? (double) epoch / maxEpochs
                : (double) (iteration - warmupIterations) / (maxIterations - warmupIterations + 1);
        return min + 0.5 * (max - min) * (1 + Math.cos(Math.PI * progress));
    }

    /** The value applied to the optimizer: round(max(0, lr), 8), half to even as Python's round. */
    public double at(long iteration, int epoch) {
        double lr = Math.max(0.0, raw(iteration, epoch));
        return new BigDecimal(lr).setScale(8, RoundingMode.HALF_EVEN).doubleValue();
    }
}
