package mobilevit.model;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.util.PairList;

import mobilevit.core.Choice;

/**
 * The arithmetic of a training forward. {@link #FP16} places casts by hand where PyTorch's
 * autocast would: convolutions, linear layers, the attention matmuls and the bilinear resizes
 * (matmuls) take float16 inputs (and float16 weights, which {@code FlatState}'s training store
 * serves); BatchNorm, LayerNorm, softmax and the logits given to the loss are float32. A forward
 * says which it wants with {@link #PARAM_KEY} in its parameters; without it, FP32 (no cast at all,
 * and float64 models stay float64). The casts are recorded by autograd ({@link Autograd#castRecorded}).
 */
public enum Precision implements Choice {
    FP32,
    FP16;

    /** Key of the forward parameter that holds the precision. */
    public static final String PARAM_KEY = "mobilevit.precision";

    /** Parses {@code fp32} or {@code fp16}. */
    public static Precision parse(String text) {
        return Choice.parse(Precision.class, text,
                t -> "precision must be " + Choice.alternatives(Precision.class) + ", got '" + t + "'");
    }

    /** The precision a forward's parameters ask for. */
    static Precision of(PairList<String, Object> params) {
        Object p = params == null ? null : params.get(PARAM_KEY);
        return p == null ? FP32 : (Precision) p;
    }

    /** {@code x} as a convolution, linear layer or matmul takes it: float32 becomes float16 under FP16. */
    static NDArray forCompute(NDArray x, PairList<String, Object> params) {
        return of(params) == FP16 && x.getDataType() == DataType.FLOAT32
                ? Autograd.castRecorded(x, DataType.FLOAT16, x.getManager())
                : x;
    }

    /**
     * Whether a float16 convolution of {@code x} runs on float32 kernels ({@code ConvLayer}): on a
     * CPU, where libtorch's float16 convolution backward is 12 to 220 times slower than its float32
     * one (no float16 kernels on CPUs without AVX512-FP16; docs/mixed-precision.md). On a GPU the
     * float16 kernels run.
     */
    static boolean emulatesFloat16(NDArray x) {
        return x.getDataType() == DataType.FLOAT16 && x.getDevice().getDeviceType().equals(Device.Type.CPU);
    }

    /** {@code x} as a normalisation, softmax or loss takes it: float16 becomes float32. */
    static NDArray forNormalisation(NDArray x) {
        return x.getDataType() == DataType.FLOAT16 ? Autograd.castRecorded(x, DataType.FLOAT32, x.getManager()) : x;
    }
}
