package mobilevit.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.LayerNorm;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

/**
 * One pre-norm transformer layer: x += Dropout(MHA(LN(x))); x += Dropout(FFN(LN(x))), with
 * FFN = Linear(d, ffn) -> Swish -> Linear(ffn, d). Child names follow CVNets' two Sequentials
 * ({@code pre_norm_mha.0/1}, {@code pre_norm_ffn.0/1/4}). Under {@link Precision#FP16} the LayerNorms
 * compute in float32, the linear layers in float16 (the residual stream stays float16).
 */
public final class TransformerEncoder extends AbstractBlock {

    private final LayerNorm mhaNorm;
    private final MultiHeadAttention attention;
    private final LayerNorm ffnNorm;
    private final Linear ffnIn;
    private final Linear ffnOut;
    private final float dropout;

    TransformerEncoder(int dim, int ffnDim, int heads, float dropout) {
        mhaNorm = addChildBlock("pre_norm_mha.0", layerNorm());
        attention = addChildBlock("pre_norm_mha.1", new MultiHeadAttention(dim, heads));
        ffnNorm = addChildBlock("pre_norm_ffn.0", layerNorm());
        ffnIn = addChildBlock("pre_norm_ffn.1", Linear.builder().setUnits(ffnDim).build());
        ffnOut = addChildBlock("pre_norm_ffn.4", Linear.builder().setUnits(dim).build());
        this.dropout = dropout;
    }

    /**
     * LayerNorm over the last axis of [B*P, N, d], eps 1e-5, as torch.nn.LayerNorm. (CVNets' newer
     * LayerNorm normalises the patch axis whenever N equals d; the paper's code does not.)
     */
    static LayerNorm layerNorm() {
        return LayerNorm.builder().axis(2).optEpsilon(1e-5f).build();
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray x = inputs.singletonOrThrow(); // [B*P, N, d]
        NDList h = mhaNorm.forward(ps, new NDList(Precision.forNormalisation(x)), training, params);
        h = attention.forward(ps, new NDList(Precision.forCompute(h.singletonOrThrow(), params)), training, params);
        x = x.add(DropoutStream.apply(h.singletonOrThrow(), dropout, training, params));

        h = ffnNorm.forward(ps, new NDList(Precision.forNormalisation(x)), training, params);
        h = ffnIn.forward(ps, new NDList(Precision.forCompute(h.singletonOrThrow(), params)), training, params);
        h = ffnOut.forward(ps, new NDList(ConvLayer.swish(h.singletonOrThrow())), training, params);
        x = x.add(DropoutStream.apply(h.singletonOrThrow(), dropout, training, params));
        return new NDList(x);
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return inputShapes;
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        mhaNorm.initialize(manager, dataType, inputShapes);
        attention.initialize(manager, dataType, inputShapes);
        ffnNorm.initialize(manager, dataType, inputShapes);
        ffnIn.initialize(manager, dataType, inputShapes);
        ffnOut.initialize(manager, dataType, ffnIn.getOutputShapes(inputShapes));
    }
}
