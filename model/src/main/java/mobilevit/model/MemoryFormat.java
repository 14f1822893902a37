package mobilevit.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import ai.djl.util.PairList;

import mobilevit.core.Choice;

/**
 * How a forward stores its feature maps. Both formats index them [N, C, H, W];
 * {@link #CHANNELS_LAST} keeps them in N, H, W, C order in memory (PyTorch's
 * {@code torch.channels_last}, timm's {@code --channels-last}), the order oneDNN's CPU convolutions
 * compute in, so that they skip the reorder of every input and output (XXS at batch 16, 256x256 on
 * this project's 2-core CPU: forward+backward 18.7-19.0 against 16.6-17.8 images/s;
 * docs/benchmarks.md). PyTorch carries the format from a convolution's input to its output and through
 * BatchNorm, the activations and the residual sums; the model sets it once on its input and again
 * where a MobileViT block folds its patches back into a feature map. The values are those of
 * {@link #CONTIGUOUS} up to the order of the sums inside a convolution. A forward says which it
 * wants with {@link #PARAM_KEY} in its parameters; without it, {@link #CONTIGUOUS}.
 */
public enum MemoryFormat implements Choice {
    /** N, C, H, W in memory: PyTorch's default */
    CONTIGUOUS,
    /** N, H, W, C in memory */
    CHANNELS_LAST;

    /** Key of the forward parameter that holds the format. */
    public static final String PARAM_KEY = "mobilevit.memory_format";

    /** Parses {@code contiguous} or {@code channels_last}. */
    public static MemoryFormat parse(String text) {
        return Choice.parse(MemoryFormat.class, text,
                t -> "memory format must be " + Choice.alternatives(MemoryFormat.class) + ", got '" + t + "'");
    }

    /** The format a forward's parameters ask for. */
    static MemoryFormat of(PairList<String, Object> params) {
        Object f = params == null ? null : params.get(PARAM_KEY);
        return f == null ? CONTIGUOUS : (MemoryFormat) f;
    }

    /**
     * Row-major maps [N, C, H, W] stored in this format: themselves under {@link #CONTIGUOUS}, a
     * copy in N, H, W, C order under {@link #CHANNELS_LAST}.
     */
    NDArray store(NDArray maps) {
        if (this == CONTIGUOUS) {
            return maps;
        }
        Shape s = maps.getShape();
        return maps.transpose(0, 2, 3, 1) // [N, H, W, C], a view
                .flatten() // copied in that order
                .reshape(s.get(0), s.get(2), s.get(3), s.get(1))
                .transpose(0, 3, 1, 2); // [N, C, H, W] indexing, N, H, W, C memory
    }
}
