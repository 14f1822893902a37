package mobilevit.model;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

/**
 * MobileNetV2's inverted residual: expand (1x1), depthwise 3x3 (stride s), reduce (1x1, no
 * activation); the input is added back when the shape is unchanged.
 */
public final class InvertedResidual extends AbstractBlock {

    private final ConvLayer expand;
    private final ConvLayer depthwise;
    private final ConvLayer reduce;
    private final boolean residual;

    /**
     * @param in input channels
     * @param out output channels
     * @param stride 1 or 2 (depthwise conv)
     * @param expansion hidden = in * expansion. MobileNetV2 rounds it with make_divisible(., 8),
     *     which is the identity here: every channel count of the three variants is a multiple of 8.
     */
    InvertedResidual(int in, int out, int stride, int expansion) {
        int hidden = in * expansion;
        expand = expansion == 1 ? null : addChildBlock("block.exp_1x1", ConvLayer.convBnAct(hidden, 1, 1));
        depthwise = addChildBlock("block.conv_3x3", ConvLayer.depthwiseBnAct(hidden, 3, stride));
        reduce = addChildBlock("block.red_1x1", ConvLayer.pointwiseBn(out));
        residual = stride == 1 && in == out;
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        NDList x = inputs;
        if (expand != null) {
            x = expand.forward(ps, x, training, params);
        }
        x = depthwise.forward(ps, x, training, params);
        x = reduce.forward(ps, x, training, params);
        return residual ? new NDList(x.singletonOrThrow().add(inputs.singletonOrThrow())) : x;
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        Shape[] s = inputShapes;
        if (expand != null) {
            s = expand.getOutputShapes(s);
        }
        return reduce.getOutputShapes(depthwise.getOutputShapes(s));
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        Shape[] s = inputShapes;
        if (expand != null) {
            expand.initialize(manager, dataType, s);
            s = expand.getOutputShapes(s);
        }
        depthwise.initialize(manager, dataType, s);
        reduce.initialize(manager, dataType, depthwise.getOutputShapes(s));
    }
}
