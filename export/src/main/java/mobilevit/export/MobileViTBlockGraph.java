package mobilevit.export;

import mobilevit.export.GraphOps.FeatureMap;
import mobilevit.export.GraphOps.Tail;
import mobilevit.export.OnnxGraph.Attribute;
import mobilevit.model.MobileViTStage;

import java.util.List;

/**
 * The MobileViT block (paper Fig. 1b) as ONNX nodes, as the model's {@code MobileViTBlock}
 * computes it: local representation, unfolding into patches [N*P, tokens, d] (a map side that is
 * not a multiple of the patch resized to the next multiple, {@link PatchGrid}), L pre-norm
 * transformer layers and a LayerNorm, folding back (and resizing back), projection, and fusion
 * with the block input.
 */
final class MobileViTBlockGraph {

    private final GraphOps ops;

    MobileViTBlockGraph(GraphOps ops) {
        this.ops = ops;
    }

    FeatureMap emit(String prefix, FeatureMap input, MobileViTStage spec) {
        int d = spec.transformerDim();
        int p = spec.patch();
        FeatureMap local = ops.conv(prefix + ".local_rep.conv_3x3", input, 1, Tail.NORM_AND_SWISH);
        local = ops.conv(prefix + ".local_rep.conv_1x1", local, 1, Tail.NOTHING);
        PatchGrid grid = local.sizeFree() ? new FreePatchGrid(ops, prefix, local.name(), d, p)
                : new FixedPatchGrid(ops, prefix, d, local.h(), local.w(), p);
        String x = grid.toPatches(local.name());
        x = ops.reshapeTo(prefix + ".unfold.split", x, grid.split()); // [N, d, nh, ph, nw, pw]
        x = ops.transpose(prefix + ".unfold.transpose", x, 0, 3, 5, 2, 4, 1); // [N, ph, pw, nh, nw, d]
        x = ops.reshapeTo(prefix + ".unfold", x, grid.tokens()); // [N*P, tokens, d], row n*P + p*ph + pw
        for (int i = 0; i < spec.depth(); i++) {
            x = transformer(prefix + ".global_rep." + i, x, d, spec.heads());
        }
        x = ops.layerNorm(prefix + ".global_rep." + spec.depth(), x);
        x = ops.reshapeTo(prefix + ".fold.split", x, grid.unmerge()); // [N, ph, pw, nh, nw, d]
        x = ops.transpose(prefix + ".fold.transpose", x, 0, 5, 3, 1, 4, 2); // [N, d, nh, ph, nw, pw]
        x = ops.reshapeTo(prefix + ".fold", x, grid.map());
        x = grid.fromPatches(x);
        FeatureMap proj = ops.conv(prefix + ".conv_proj", new FeatureMap(x, d, local.h(), local.w()), 1,
                Tail.NORM_AND_SWISH);
        String cat = ops.graph().node("Concat", prefix + ".concat", List.of(input.name(), proj.name()),
                Attribute.integer("axis", 1));
        return ops.conv(prefix + ".fusion", new FeatureMap(cat, input.channels() + proj.channels(), local.h(),
                local.w()), 1, Tail.NORM_AND_SWISH);
    }
    /** x += MHA(LN(x)); x += FFN(LN(x)), FFN = Linear, Swish, Linear (CVNets' pre_norm_mha and pre_norm_ffn). */
    private String transformer(String prefix, String x, int d, int heads) {
        String h = ops.layerNorm(prefix + ".pre_norm_mha.0", x);
        x = ops.add(prefix + ".mha_residual", x, attention(prefix + ".pre_norm_mha.1", h, d, heads));
        h = ops.layerNorm(prefix + ".pre_norm_ffn.0", x);
        h = ops.linear(prefix + ".pre_norm_ffn.1", h);
        h = ops.swish(prefix + ".pre_norm_ffn.2", h);
        h = ops.linear(prefix + ".pre_norm_ffn.4", h);
        return ops.add(prefix + ".ffn_residual", x, h);
    }

    /**
     * Multi-head self-attention (CVNets v0.1): the fused qkv projection as three linear layers, the
     * query's scale head_dim^-0.5 folded into its weight and bias at export, softmax over the keys,
     * output projection.
     */
    private String attention(String prefix, String x, int d, int heads) {
        int headDim = d / heads;
        double[] qkvWeight = ops.weights().values(prefix + ".qkv_proj.weight"); // [3d, d]: q, k, v rows
        double[] qkvBias = ops.weights().values(prefix + ".qkv_proj.bias");
        double scale = 1.0 / Math.sqrt(headDim);
        String[] qkv = new String[3];
        String[] parts = {"query", "key", "value"};
        for (int part = 0; part < 3; part++) {
            float[] w = new float[d * d];
            float[] b = new float[d];
            double s = part == 0 ? scale : 1.0;
            for (int i = 0; i < d * d; i++) {
                w[i] = (float) (qkvWeight[part * d * d + i] * s);
            }
            for (int i = 0; i < d; i++) {
                b[i] = (float) (qkvBias[part * d + i] * s);
            }
            String y = ops.linear(prefix + "." + parts[part], x, w, b);
            qkv[part] = ops.reshape(prefix + "." + parts[part] + ".heads", y, 0, 0, heads, headDim);
        }
        String q = ops.transpose(prefix + ".query.t", qkv[0], 0, 2, 1, 3); // [N*P, heads, tokens, hd]
        String kT = ops.transpose(prefix + ".key.t", qkv[1], 0, 2, 3, 1); // [N*P, heads, hd, tokens]
        String v = ops.transpose(prefix + ".value.t", qkv[2], 0, 2, 1, 3);
        String scores = ops.matMul(prefix + ".scores", q, kT);
        String attn = ops.graph().node("Softmax", prefix + ".softmax", List.of(scores), Attribute.integer("axis", -1));
        String out = ops.matMul(prefix + ".context", attn, v);
        out = ops.transpose(prefix + ".context.t", out, 0, 2, 1, 3);
        out = ops.reshape(prefix + ".context.merged", out, 0, 0, d);
        return ops.linear(prefix + ".out_proj", out);
    }
}
