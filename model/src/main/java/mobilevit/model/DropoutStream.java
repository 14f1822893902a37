package mobilevit.model;

import ai.djl.ndarray.NDArray;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.util.PairList;

/**
 * Where the dropout masks of one training forward of one replica come from.
 *
 * <p>PyTorch draws masks from one generator per device, shared by every thread. To make masks a
 * function of (seed, step, replica) alone, whatever the thread timing, each draw reseeds that
 * generator with a value derived from this stream's seed and a draw counter, under one global lock
 * that covers the reseed and the (asynchronous) dropout launch. A resumed run therefore draws the
 * same masks as an uninterrupted one: the state is just (seed, step, replica).
 *
 * <p>Pass it to a training forward as the block parameter {@link #PARAM_KEY}. Without it, dropout
 * uses PyTorch's generator as it stands.
 */
public final class DropoutStream {

    /** Key of the forward parameter that carries the stream. */
    public static final String PARAM_KEY = "mobilevit.dropout";

    private static final Object GENERATOR_LOCK = new Object();

    private final long seed;
    private long draws;

    /** A stream for one forward; {@code seed} should already mix run seed, step and replica. */
    public DropoutStream(long seed) {
        this.seed = seed;
    }

    /**
     * A stream for micro-batch {@code micro} (gradient accumulation; 0 without) of training step
     * {@code step} of replica {@code replica} of a run seeded {@code runSeed}.
     */
    public static DropoutStream forStep(long runSeed, long step, int replica, int micro) {
        return new DropoutStream(mix(mix(mix(runSeed) ^ step) ^ (replica | (long) micro << 32)));
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

    private NDArray next(NDArray x, float rate) {
        long drawSeed = mix(seed + 0x9E3779B97F4A7C15L * ++draws);
        synchronized (GENERATOR_LOCK) {
            JniUtils.setSeed(drawSeed);
            return torchDropout(x, rate);
        }
    }

    private static NDArray torchDropout(NDArray x, float rate) {
        return x.getNDArrayInternal().dropout(x, rate, true).singletonOrThrow();
    }

    /** SplitMix64's finaliser: a bijective 64-bit mix. */
    static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
