package mobilevit.export;

import mobilevit.export.GraphOps.FeatureMap;
import mobilevit.export.GraphOps.Tail;
import mobilevit.export.OnnxGraph.Attribute;
import mobilevit.export.OnnxGraph.Dim;
import mobilevit.model.Architecture;
import mobilevit.model.InvertedResidualStage;
import mobilevit.model.MobileViT;
import mobilevit.model.MobileViTStage;
import mobilevit.model.StageSpec;

import java.util.List;

/**
 * A MobileViT as an ONNX graph, walked from its {@link Architecture} table as {@code MobileViT}
 * builds it: the stem, each stage's MV2 blocks (and MobileViT block), the 1x1 expansion, then the
 * head (global average pooling and the classifier; dropout is the identity in inference). Input
 * {@code pixels} [N, 3, H, W], output {@code logits} [N, classes], N free (and H, W where the
 * {@link InputSize} is).
 */
final class MobileViTGraph {

    static final String INPUT = "pixels";
    static final String OUTPUT = "logits";

    private MobileViTGraph() {}

    static OnnxGraph build(MobileViT model, InputSize size) {
        OnnxGraph graph = new OnnxGraph();
        GraphOps ops = new GraphOps(graph, new ModelWeights(model));
        MobileViTBlockGraph mobileVitBlock = new MobileViTBlockGraph(ops);
        Architecture architecture = model.architecture();
        String pixels = size.free()
                ? graph.input(INPUT, Dim.named("N"), Dim.of(3), Dim.named("H"), Dim.named("W"))
                : graph.input(INPUT, Dim.named("N"), Dim.of(3), Dim.of(size.height()), Dim.of(size.width()));
        FeatureMap x = new FeatureMap(pixels, 3, size.height(), size.width());
        x = ops.conv("conv_1", x, 2, Tail.NORM_AND_SWISH);
        List<StageSpec> stages = architecture.stages();
        for (int i = 0; i < stages.size(); i++) {
            String prefix = "layer_" + (i + 1);
            StageSpec spec = stages.get(i);
            if (spec instanceof InvertedResidualStage s) {
                for (int b = 0; b < s.blocks(); b++) {
                    int stride = b == 0 ? s.stride() : 1;
                    x = invertedResidual(ops, prefix + "." + b, x, s.outChannels(), stride, s.expansion());
                }
            } else if (spec instanceof MobileViTStage s) {
                x = invertedResidual(ops, prefix + ".0", x, s.outChannels(), s.stride(), s.expansion());
                x = mobileVitBlock.emit(prefix + ".1", x, s);
            }
        }
        x = ops.conv("conv_1x1_exp", x, 1, Tail.NORM_AND_SWISH);
        String pooled = graph.node("GlobalAveragePool", "pool", List.of(x.name()));
        pooled = ops.reshape("pool.flat", pooled, -1, x.channels());
        String logits = graph.node("Gemm", OUTPUT, List.of(pooled, ops.parameter("classifier.fc.weight"),
                ops.parameter("classifier.fc.bias")), Attribute.integer("transB", 1)); // [classes, C] transposed
        graph.output(logits, Dim.named("N"), Dim.of(model.numClasses()));
        return graph;
    }

    /** MobileNetV2's inverted residual: expand 1x1, depthwise 3x3, reduce 1x1, input added back when shapes match. */
    private static FeatureMap invertedResidual(GraphOps ops, String prefix, FeatureMap x, int out, int stride,
            int expansion) {
        FeatureMap y = x;
        if (expansion != 1) {
            y = ops.conv(prefix + ".block.exp_1x1", y, 1, Tail.NORM_AND_SWISH);
        }
        y = ops.conv(prefix + ".block.conv_3x3", y, stride, Tail.NORM_AND_SWISH);
        y = ops.conv(prefix + ".block.red_1x1", y, 1, Tail.NORM);
        if (stride == 1 && x.channels() == out) {
            return new FeatureMap(ops.add(prefix + ".residual", y.name(), x.name()), out, y.h(), y.w());
        }
        return y;
    }
}
