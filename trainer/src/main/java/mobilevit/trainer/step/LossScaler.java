package mobilevit.trainer.step;

import mobilevit.trainer.checkpoint.Checkpoint;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;

import com.google.gson.JsonObject;

/**
 * Dynamic loss scaling with {@code torch.cuda.amp.GradScaler}'s semantics: the backward is seeded
 * with the loss times {@link #scale}, so that small float16 gradients do not flush to zero; before
 * the optimizer the flat gradient is divided by the scale (one call) and checked for inf/NaN (one
 * reduction). A step whose gradient is not finite is skipped and the scale halves; after
 * {@code growthInterval} finite steps in a row it doubles.
 */
public final class LossScaler {

    /** GradScaler's defaults. */
    public static final double INITIAL_SCALE = 65536;
    public static final int GROWTH_INTERVAL = 2000;
    private static final double GROWTH = 2;
    private static final double BACKOFF = 0.5;

    /** Its member of state.json (fp16 runs). */
    private static final String STATE = "loss_scaler";

    private final int growthInterval;
    private double scale;
    /** Finite steps since the last growth or skip (GradScaler's growth tracker). */
    private long cleanSteps;
    private long skippedSteps;
    /** Steps in a row whose loss was not finite. */
    private int nonFiniteLossStreak;

    public LossScaler(double initialScale, int growthInterval) {
        if (!(initialScale > 0) || Double.isInfinite(initialScale)) {
            throw new IllegalArgumentException("initial loss scale must be positive and finite, got " + initialScale);
        }
        if (growthInterval < 1) {
            throw new IllegalArgumentException("growth interval must be at least 1, got " + growthInterval);
        }
        this.scale = initialScale;
        this.growthInterval = growthInterval;
    }

    /** GradScaler's defaults: scale 65536, doubled after 2000 finite steps. */
    public static LossScaler standard() {
        return new LossScaler(INITIAL_SCALE, GROWTH_INTERVAL);
    }

    public double scale() {
        return scale;
    }

    /** Steps skipped so far because the gradient or the loss was not finite. */
    public long skippedSteps() {
        return skippedSteps;
    }

    /**
     * Divides the flat {@code gradient} by the scale in place and tells whether every element is
     * finite; records the step as clean or skipped, and adapts the scale.
     */
    public boolean unscale(NDArray gradient) {
        gradient.divi(scale);
        boolean finite = allFinite(gradient);
        nonFiniteLossStreak = 0;
        if (finite) {
            recordClean();
        } else {
            backOff();
        }
        return finite;
    }

    /** Whether no element of {@code flat} (float32 or float64) is infinite or NaN: three native calls and one read. */
    static boolean allFinite(NDArray flat) {
        try (NDArray magnitude = flat.abs(); NDArray largest = magnitude.max();
                NDArray wide = largest.toType(DataType.FLOAT64, false)) {
            return Double.isFinite(wide.getDouble()); // max propagates NaN
        }
    }

    /**
     * Records a step skipped because its loss was not finite (its gradient is not used): the scale
     * halves, as GradScaler's would on that loss's non-finite gradient.
     *
     * @return the number of steps in a row, this one included, whose loss was not finite
     */
    public int skipNonFiniteLoss() {
        backOff();
        return ++nonFiniteLossStreak;
    }

    private void backOff() {
        scale *= BACKOFF;
        cleanSteps = 0;
        skippedSteps++;
    }

    private void recordClean() {
        cleanSteps++;
        if (cleanSteps == growthInterval) {
            scale *= GROWTH;
            cleanSteps = 0;
        }
    }

    /** Hands its state to a checkpoint: scale, growth tracker, skipped steps, non-finite loss streak. */
    void export(JsonObject state) {
        JsonObject o = new JsonObject();
        o.addProperty("scale", scale);
        o.addProperty("clean_steps", cleanSteps);
        o.addProperty("skipped_steps", skippedSteps);
        o.addProperty("non_finite_loss_streak", nonFiniteLossStreak);
        state.add(STATE, o);
    }

    /**
     * Restores what {@link #export} handed over (the growth interval stays this scaler's); a state
     * without it (an fp32 run's) leaves the scaler as it is.
     *
     * @throws IllegalArgumentException naming the first field that is missing or not a number
     */
    void restore(JsonObject state) {
        if (!state.has(STATE)) {
            return;
        }
        JsonObject o = state.getAsJsonObject(STATE);
        double s = Checkpoint.number(o, "scale").doubleValue();
        if (!(s > 0) || Double.isInfinite(s)) {
            throw new IllegalArgumentException("state.json: loss scale " + s + " is not positive and finite");
        }
        scale = s;
        cleanSteps = Checkpoint.number(o, "clean_steps").longValue();
        skippedSteps = Checkpoint.number(o, "skipped_steps").longValue();
        nonFiniteLossStreak = (int) Checkpoint.number(o, "non_finite_loss_streak").longValue();
    }
}
