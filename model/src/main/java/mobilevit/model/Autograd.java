package mobilevit.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;

import java.util.function.Supplier;

/**
 * PyTorch autograd for the calling thread. PyTorch's grad mode is thread-local and on by default
 * in new threads, so every thread that runs a forward says which mode it wants. DJL's
 * {@code GradientCollector} cannot serve replicas that run backward in parallel (it allows one
 * collector per process), hence this thin layer over DJL's JNI.
 */
public final class Autograd {

    private Autograd() {}

    /** Turns graph recording on or off for the calling thread. */
    public static void setEnabled(boolean enabled) {
        JniUtils.setGradMode(enabled);
    }

    public static boolean isEnabled() {
        return JniUtils.isGradMode();
    }

    /** Runs {@code body} with graph recording off on this thread, restoring the previous mode. */
    public static <T> T withoutGrad(Supplier<T> body) {
        boolean previous = isEnabled();
        setEnabled(false);
        try {
            return body.get();
        } finally {
            setEnabled(previous);
        }
    }

    /** Runs {@code body} with graph recording off on this thread, restoring the previous mode. */
    public static void withoutGrad(Runnable body) {
        withoutGrad(() -> {
            body.run();
            return null;
        });
    }

    /**
     * Back-propagates {@code seed} times the gradient of a scalar (1, or a loss scale); gradients
     * accumulate into the leaves' {@code grad}.
     */
    public static void backward(NDArray scalar, double seed) {
        try (NDArray ones = scalar.onesLike(); NDArray s = ones.mul(seed)) {
            JniUtils.backward((PtNDArray) scalar, (PtNDArray) s, false, false);
        }
    }

    /** Sets the accumulated gradient of {@code leaf} (if any) to zero. */
    public static void zeroGradient(NDArray leaf) {
        JniUtils.zeroGrad((PtNDArray) leaf);
    }

    /**
     * {@code x} cast to {@code type}, owned by {@code scope}, as an operation autograd records (the
     * gradient flows back cast to {@code x}'s type). DJL's {@code toType} runs without recording,
     * so this copies into a new array of the type in place ({@code index_put_}, which records).
     */
    public static NDArray castRecorded(NDArray x, DataType type, NDManager scope) {
        NDArray out = scope.create(x.getShape(), type, x.getDevice());
        out.set(new ai.djl.ndarray.index.NDIndex("..."), x);
        return out;
    }

    /** Copies {@code src} into {@code dst} in place (any devices), outside the graph. */
    public static void copyInto(NDArray dst, NDArray src) {
        withoutGrad(() -> dst.set(new ai.djl.ndarray.index.NDIndex("..."), src));
    }
}
