package mobilevit.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.norm.LayerNorm;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

/**
 * The MobileViT block (paper Fig. 1b): local representation by convolutions, global
 * representation by transformers over unfolded patches (2x2 in every variant), fold, projection
 * and fusion with the block input. Child names follow CVNets v0.1 ({@code local_rep}, {@code global_rep},
 * {@code conv_proj}, {@code fusion}).
 */
public final class MobileViTBlock extends AbstractBlock {

    private final int dim;
    private final int patch;
    private final ConvLayer localConv;
    private final ConvLayer localProj;
    private final TransformerEncoder[] transformers;
    private final LayerNorm finalNorm;
    private final ConvLayer convProj;
    private final ConvLayer fusion;

    /**
     * @param channels C, input and output channels
     * @param dim d, transformer width
     * @param ffnDim transformer feed-forward width
     * @param depth L, number of transformer layers
     * @param heads attention heads
     * @param patch side of the square patches
     * @param dropout dropout after attention and after the feed-forward network
     */
    MobileViTBlock(int channels, int dim, int ffnDim, int depth, int heads, int patch, float dropout) {
        this.dim = dim;
        this.patch = patch;
        localConv = addChildBlock("local_rep.conv_3x3", ConvLayer.convBnAct(channels, 3, 1));
        localProj = addChildBlock("local_rep.conv_1x1", ConvLayer.pointwise(dim));
        transformers = new TransformerEncoder[depth];
        for (int i = 0; i < depth; i++) {
            transformers[i] = addChildBlock("global_rep." + i,
                    new TransformerEncoder(dim, ffnDim, heads, dropout));
        }
        finalNorm = addChildBlock("global_rep." + depth, TransformerEncoder.layerNorm());
        convProj = addChildBlock("conv_proj", ConvLayer.convBnAct(channels, 1, 1));
        fusion = addChildBlock("fusion", ConvLayer.convBnAct(channels, 3, 1));
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        return new NDList(forward(ps, inputs.singletonOrThrow(), training, params, StageRecorder.NONE));
    }

    /** The forward, reporting each step's output to {@code recorder}. */
    NDArray forward(ParameterStore ps, NDArray input, boolean training,
            PairList<String, Object> params, StageRecorder recorder) {
        recorder.record("input", input);
        NDList local = localConv.forward(ps, new NDList(input), training, params);
        NDArray x = localProj.forward(ps, local, training, params).singletonOrThrow(); // [B, d, H, W]
        recorder.record("local_rep", x);

        Shape s = x.getShape();
        long b = s.get(0);
        int h = (int) s.get(2);
        int w = (int) s.get(3);
        // Odd sides are resized (bilinear, align_corners=False) to the next multiple of the patch.
        int h2 = ceilToPatch(h);
        int w2 = ceilToPatch(w);
        x = BilinearResize.resize(x, h2, w2);
        int nh = h2 / patch;
        int nw = w2 / patch;
        NDArray patches = x.reshape(b, dim, nh, patch, nw, patch)
                .transpose(0, 3, 5, 2, 4, 1) // [B, ph, pw, nh, nw, d]
                .reshape(b * patch * patch, (long) nh * nw, dim); // [B*P, N, d], row b*P + patch*ph + pw
        recorder.record("unfolded", patches);

        NDList seq = new NDList(patches);
        for (TransformerEncoder t : transformers) {
            seq = t.forward(ps, seq, training, params);
        }
        seq = finalNorm.forward(ps, seq, training, params);
        recorder.record("global_rep", seq.singletonOrThrow());

        MemoryFormat format = MemoryFormat.of(params);
        NDArray grid = seq.singletonOrThrow().reshape(b, patch, patch, nh, nw, dim); // [B, ph, pw, nh, nw, d]
        x = format == MemoryFormat.CHANNELS_LAST
                ? grid.transpose(0, 3, 1, 4, 2, 5) // [B, nh, ph, nw, pw, d]
                        .reshape(b, h2, w2, dim)
                        .transpose(0, 3, 1, 2) // [B, d, H, W], stored B, H, W, d
                : grid.transpose(0, 5, 3, 1, 4, 2) // [B, d, nh, ph, nw, pw]
                        .reshape(b, dim, h2, w2)
                        // a 1x1 patch grid makes that reshape a view with channels-last strides, which
                        // would send the convolution to the kernels ChannelsLastCheck guards against
                        .flatten().reshape(b, dim, h2, w2);
        x = BilinearResize.resize(Precision.forCompute(x, params), h, w);
        if (h2 != h || w2 != w) {
            x = format.store(x); // the resize's matmuls write [B, d, H, W] row-major
        }
        recorder.record("folded", x);

        NDArray proj = convProj.forward(ps, new NDList(x), training, params).singletonOrThrow();
        recorder.record("conv_proj", proj);
        NDArray out = fusion.forward(ps, new NDList(NDArrays.concat(new NDList(input, proj), 1)),
                training, params).singletonOrThrow();
        recorder.record("output", out);
        return out;
    }

    private int ceilToPatch(int side) {
        return (side + patch - 1) / patch * patch;
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return inputShapes;
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        localConv.initialize(manager, dataType, inputShapes);
        localProj.initialize(manager, dataType, inputShapes);
        Shape tokens = new Shape(1, 1, dim);
        for (TransformerEncoder t : transformers) {
            t.initialize(manager, dataType, tokens);
        }
        finalNorm.initialize(manager, dataType, tokens);
        Shape in = inputShapes[0];
        convProj.initialize(manager, dataType, new Shape(in.get(0), dim, in.get(2), in.get(3)));
        fusion.initialize(manager, dataType, new Shape(in.get(0), 2 * in.get(1), in.get(2), in.get(3)));
    }
}
