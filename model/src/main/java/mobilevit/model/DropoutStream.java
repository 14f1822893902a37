package mobilevit.model;

import ai.djl.ndarray.NDArray;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.util.PairList;

import mobilevit.core.SplitMix64;

/**
 * Where the dropout masks of one training forward of one replica come from.
 *
 * <p>PyTorch draws masks from one generator per device, shared by every thread. To make masks a
 * function of (seed, step, replica) alone, whatever the thread timing, each draw reseeds that
 * generator with the next value of a SplitMix64 sequence started at this stream's seed, under one
 * global lock that covers the reseed and the (asynchronous) dropout launch. A resumed run therefore
 * draws the same masks as an uninterrupted one: the state is just (seed, step, replica).
 *
 * <p>Pass it to a training forward as the block parameter {@link #PARAM_KEY}. Without it, dropout
 * uses PyTorch's generator as it stands.
 */
public final class DropoutStream {

    /** Key of the forward parameter that carries the stream. */
    public static final String PARAM_KEY = "mobilevit.dropout";

    private static final Object GENERATOR_LOCK = new Object();

    private final long seed;
    /** Draws so far: draw k reseeds with SplitMix64's value k. */
    private long draws;

    /**
     * A stream for one forward; {@code seed} should already mix run seed, step and replica (the
     * trainer derives it from the three).
     */
    public DropoutStream(long seed) {
        this.seed = seed;
    }

    /** Drops elements of {@code x} with probability {@code rate} in training (scaling the rest). */
    static NDArray apply(NDArray x, float rate, boolean training, PairList<String, Object> params) {
        if (!training || rate <= 0f) {
            return x;
        }
        Object stream = params == null ? null : params.get(PARAM_KEY);
        if (stream == null) {
            return torchDropout(x, rate);
        }
        return ((DropoutStream) stream).next(x, rate);
    }

    /** The generator seed of the next draw. */
    long nextDrawSeed() {
        return SplitMix64.value(seed, ++draws);
    }

    private NDArray next(NDArray x, float rate) {
        long drawSeed = nextDrawSeed();
        synchronized (GENERATOR_LOCK) {
            JniUtils.setSeed(drawSeed);
            return torchDropout(x, rate);
        }
    }

    private static NDArray torchDropout(NDArray x, float rate) {
        return x.getNDArrayInternal().dropout(x, rate, true).singletonOrThrow();
    }
}
