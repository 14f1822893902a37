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
 * Under {@link Precision#FP16} the convolution computes in float16 and BatchNorm in float32; on a
 * CPU the float16 convolution runs on float32 kernels ({@link Precision#emulatesFloat16}).
 * Children are named {@code block.conv} and {@code block.norm} so that parameter paths equal the
 * reference state dict ({@code conv_1.block.conv.weight}).
 */
public final class ConvLayer extends AbstractBlock {

    /** What follows the convolution (CVNets' {@code use_norm} and {@code use_act}). */
    private enum Tail {
        NOTHING, NORM, NORM_AND_SWISH
    }

    private final Conv2d conv;
    private final Shape stride;
    private final Shape padding;
    private final int groups;
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
        this.stride = new Shape(stride, stride);
        this.padding = new Shape(pad, pad);
        this.groups = groups;
        conv = addChildBlock("block.conv", Conv2d.builder()
                .setFilters(out)
                .setKernelShape(new Shape(kernel, kernel))
                .optStride(this.stride)
                .optPadding(padding)
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
        NDArray in = Precision.forCompute(inputs.singletonOrThrow(), params);
        NDList x = Precision.emulatesFloat16(in) ? new NDList(convolveOnFloat32Kernels(ps, in, training))
                : conv.forward(ps, new NDList(in), training, params);
        if (norm != null) {
            x = norm.forward(ps, new NDList(Precision.forNormalisation(x.singletonOrThrow())), training, params);
        }
        return activation ? new NDList(swish(x.singletonOrThrow())) : x;
    }

    private NDArray convolveOnFloat32Kernels(ParameterStore ps, NDArray x16, boolean training) {
        NDArray w16 = ps.getValue(conv.getParameters().get("weight"), x16.getDevice(), training);
        return convolveOnFloat32Kernels(x16, w16, stride, padding, groups);
    }

    /**
     * The float16 convolution of {@code x16} by {@code w16} computed as PyTorch's cuDNN
     * convolutions compute float16 (float16 operands, float32 accumulation, a float16 result), with
     * float32 kernels: the operands are cast up exactly and the result is rounded to float16, all
     * recorded, so the backward's gradients are rounded to float16 the same way.
     */
    static NDArray convolveOnFloat32Kernels(NDArray x16, NDArray w16, Shape stride, Shape padding, int groups) {
        NDManager scope = x16.getManager();
        NDArray y = Conv2d.conv2d(Autograd.castRecorded(x16, DataType.FLOAT32, scope),
                Autograd.castRecorded(w16, DataType.FLOAT32, scope), null, stride, padding, new Shape(1, 1), groups)
                .singletonOrThrow();
        return Autograd.castRecorded(y, DataType.FLOAT16, scope);
    }

    /** Swish / SiLU: x * sigmoid(x). */
    static NDArray swish(NDArray x) {
        return x.mul(x.getNDArrayInternal().sigmoid());
    }

    /** The convolution's weight shape (out, in / groups, kernel, kernel); the layer must be initialised. */
    Shape weightShape() {
        return conv.getParameters().get("weight").getArray().getShape();
    }

    long stride() {
        return stride.get(0);
    }

    int groups() {
        return groups;
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
