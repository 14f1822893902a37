package mobilevit.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.core.Linear;
import ai.djl.pytorch.engine.PtNDManager;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

/**
 * Multi-head self-attention as in CVNets v0.1: one fused qkv projection (with bias), scale
 * head_dim^-0.5 on the query, softmax, no attention dropout, output projection (with bias). The
 * input comes in the forward's compute precision ({@link Precision}); the softmax is float32.
 */
public final class MultiHeadAttention extends AbstractBlock {

    private final int heads;
    private final Linear qkvProj;
    private final Linear outProj;

    MultiHeadAttention(int dim, int heads) {
        this.heads = heads;
        qkvProj = addChildBlock("qkv_proj", Linear.builder().setUnits(3L * dim).build());
        outProj = addChildBlock("out_proj", Linear.builder().setUnits(dim).build());
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray x = inputs.singletonOrThrow(); // [B*P, N, d]
        long b = x.getShape().get(0);
        long n = x.getShape().get(1);
        long d = x.getShape().get(2);
        long headDim = d / heads;
        NDArray qkv = qkvProj.forward(ps, inputs, training, params).singletonOrThrow() // [B*P, N, 3d]
                .reshape(b, n, 3, heads, headDim)
                .transpose(2, 0, 3, 1, 4); // [3, B*P, heads, N, hd]
        // one split, not three selects: its backward writes the three gradients side by side, where
        // each select's would fill a zero qkv-sized gradient and the three be summed
        NDList parts = qkv.split(3, 0); // 3 x [1, B*P, heads, N, hd]
        NDArray q = parts.get(0).squeeze(0).mul(queryScale(x.getManager(), headDim));
        NDArray k = parts.get(1).squeeze(0);
        NDArray v = parts.get(2).squeeze(0);
        NDArray attn = Precision.forNormalisation(q.matMul(k.transpose(0, 1, 3, 2))).softmax(-1); // [B*P, heads, N, N]
        NDArray out = Precision.forCompute(attn, params).matMul(v) // [B*P, heads, N, hd]
                .transpose(0, 2, 1, 3)
                .reshape(b, n, d);
        return outProj.forward(ps, new NDList(out), training, params);
    }

    /**
     * head_dim^-0.5 as a 0-d float64 array in memory libtorch allocated. Not {@code mul(Number)}:
     * DJL wraps the number in a Java direct buffer without copying ({@code from_blob}) and lets that
     * buffer go after the multiplication, while autograd keeps the scalar for the backward; once
     * the garbage collector frees the buffer, the backward reads whatever reuses that memory (the
     * rare replica disagreement of the fused-step work, 0.3-9% of a gradient's scale).
     */
    private static NDArray queryScale(NDManager manager, long headDim) {
        // NDManager.full takes a float; JniUtils.full keeps the double, as mul(Number) did
        return JniUtils.full((PtNDManager) manager, new Shape(), 1.0 / Math.sqrt(headDim), DataType.FLOAT64,
                manager.getDevice(), SparseFormat.DENSE);
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return inputShapes;
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        qkvProj.initialize(manager, dataType, inputShapes);
        outProj.initialize(manager, dataType, inputShapes);
    }
}
