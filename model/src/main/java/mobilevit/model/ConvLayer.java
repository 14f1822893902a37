package mobilevit.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.norm.BatchNorm;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

/**
 * CVNets' {@code ConvLayer}: a bias-free convolution, optionally followed by BatchNorm and Swish.
 * Under {@link Precision#FP16} the convolution computes in float16 and BatchNorm in float32.
 * Children are named {@code block.conv} and {@code block.norm} so that parameter paths equal the
 * reference state dict ({@code conv_1.block.conv.weight}).
 */
public final class ConvLayer extends AbstractBlock {

    /** What follows the convolution (CVNets' {@code use_norm} and {@code use_act}). */
    private enum Tail {
        NOTHING, NORM, NORM_AND_SWISH
    }

    private final Conv2d conv;
    private final BatchNorm norm;
    private final boolean activation;

    /**
     * @param out output channels
     * @param kernel square kernel size (padding keeps "same" size at stride 1)
     * @param stride stride
     * @param groups convolution groups (the input channel count for a depthwise conv)
     * @param tail what follows: BatchNorm (eps 1e-5, PyTorch momentum 0.1), and Swish after it
     */
    private ConvLayer(int out, int kernel, int stride, int groups, Tail tail) {
        int pad = (kernel - 1) / 2;
        conv = addChildBlock("block.conv", Conv2d.builder()
                .setFilters(out)
                .setKernelShape(new Shape(kernel, kernel))
                .optStride(new Shape(stride, stride))
                .optPadding(new Shape(pad, pad))
                .optGroups(groups)
                .optBias(false)
                .build());
        // DJL's momentum is PyTorch's (1 - momentum).
        norm = tail != Tail.NOTHING
                ? addChildBlock("block.norm",
                        BatchNorm.builder().optEpsilon(1e-5f).optMomentum(0.9f).build())
                : null;
        this.activation = tail == Tail.NORM_AND_SWISH;
    }

    /** Convolution, BatchNorm and Swish. */
    static ConvLayer convBnAct(int out, int kernel, int stride) {
        return new ConvLayer(out, kernel, stride, 1, Tail.NORM_AND_SWISH);
    }

    /** Depthwise convolution (one group per channel), BatchNorm and Swish. */
    static ConvLayer depthwiseBnAct(int channels, int kernel, int stride) {
        return new ConvLayer(channels, kernel, stride, channels, Tail.NORM_AND_SWISH);
    }

    /** 1x1 convolution and BatchNorm without activation (MobileNetV2's linear bottleneck). */
    static ConvLayer pointwiseBn(int out) {
        return new ConvLayer(out, 1, 1, 1, Tail.NORM);
    }

    /**
     * A 1x1 convolution alone, without BatchNorm or activation: how CVNets v0.1's MobileViT block
     * projects to the transformer width.
     */
    static ConvLayer pointwise(int out) {
        return new ConvLayer(out, 1, 1, 1, Tail.NOTHING);
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        NDList x = conv.forward(ps, new NDList(Precision.forCompute(inputs.singletonOrThrow(), params)), training,
                params);
        if (norm != null) {
            x = norm.forward(ps, new NDList(Precision.forNormalisation(x.singletonOrThrow())), training, params);
        }
        return activation ? new NDList(swish(x.singletonOrThrow())) : x;
    }

    /** Swish / SiLU: x * sigmoid(x). */
    static NDArray swish(NDArray x) {
        return x.mul(x.getNDArrayInternal().sigmoid());
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return conv.getOutputShapes(inputShapes);
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        conv.initialize(manager, dataType, inputShapes);
        if (norm != null) {
            norm.initialize(manager, dataType, conv.getOutputShapes(inputShapes));
        }
    }
}
