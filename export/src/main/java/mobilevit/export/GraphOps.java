package mobilevit.export;

import mobilevit.export.OnnxGraph.Attribute;

import java.util.List;

/**
 * The layers of MobileViT as ONNX nodes, with their weights from the model as initializers: a
 * convolution with its BatchNorm folded in (and Swish as x * Sigmoid(x)), a linear layer
 * (MatMul by the transposed weight, then Add of the bias), LayerNorm, and the reshapes between
 * them. Values are named after the CVNets parameter path of the layer that makes them.
 */
final class GraphOps {

    /** A feature map [N, channels, h, w] in the graph; h and w are 0 when the input's size is free. */
    record FeatureMap(String name, int channels, int h, int w) {
        boolean sizeFree() {
            return h == 0;
        }
    }

    /** What follows a convolution (CVNets' ConvLayer use_norm and use_act). */
    enum Tail {
        NOTHING, NORM, NORM_AND_SWISH
    }

    private final OnnxGraph graph;
    private final ModelWeights weights;

    GraphOps(OnnxGraph graph, ModelWeights weights) {
        this.graph = graph;
        this.weights = weights;
    }

    OnnxGraph graph() {
        return graph;
    }

    ModelWeights weights() {
        return weights;
    }

    /**
     * CVNets' ConvLayer {@code prefix} (weights {@code prefix.block.conv/norm.*}): "same" padding,
     * groups from the weight's shape.
     */
    FeatureMap conv(String prefix, FeatureMap x, int stride, Tail tail) {
        long[] shape = weights.shape(prefix + ".block.conv.weight"); // [out, in / groups, k, k]
        int out = (int) shape[0];
        int kernel = (int) shape[2];
        int groups = x.channels() / (int) shape[1];
        int pad = (kernel - 1) / 2;
        String weight;
        List<String> inputs;
        if (tail == Tail.NOTHING) {
            weight = graph.floats(prefix + ".weight", weights.floats(prefix + ".block.conv.weight"), shape);
            inputs = List.of(x.name(), weight);
        } else {
            String norm = prefix + ".block.norm.";
            BatchNormFolding.Folded f = BatchNormFolding.fold(weights.values(prefix + ".block.conv.weight"),
                    weights.values(norm + "weight"), weights.values(norm + "bias"),
                    weights.values(norm + "running_mean"), weights.values(norm + "running_var"));
            weight = graph.floats(prefix + ".weight", f.weight(), shape);
            inputs = List.of(x.name(), weight, graph.floats(prefix + ".bias", f.bias(), out));
        }
        String y = graph.node("Conv", prefix + ".conv", inputs,
                Attribute.ints("kernel_shape", kernel, kernel), Attribute.ints("strides", stride, stride),
                Attribute.ints("pads", pad, pad, pad, pad), Attribute.integer("group", groups));
        if (tail == Tail.NORM_AND_SWISH) {
            y = swish(prefix, y);
        }
        return x.sizeFree() ? new FeatureMap(y, out, 0, 0) : new FeatureMap(y, out,
                (x.h() + 2 * pad - kernel) / stride + 1, (x.w() + 2 * pad - kernel) / stride + 1);
    }

    /** Swish / SiLU: x * Sigmoid(x). */
    String swish(String prefix, String x) {
        String sigmoid = graph.node("Sigmoid", prefix + ".sigmoid", List.of(x));
        return graph.node("Mul", prefix + ".swish", List.of(x, sigmoid));
    }

    /**
     * x W^T + b over the last axis, with W [out, in] and b [out] given (already transformed where
     * the layer folds a constant in); the initializers are W^T [in, out] and b.
     */
    String linear(String prefix, String x, float[] weight, float[] bias) {
        int out = bias.length;
        int in = weight.length / out;
        String product = graph.node("MatMul", prefix + ".matmul",
                List.of(x, graph.floats(prefix + ".weight_t", transposed(weight, out, in), in, out)));
        return graph.node("Add", prefix + ".linear", List.of(product, graph.floats(prefix + ".bias", bias, out)));
    }

    /** The [cols, rows] transpose of a row-major [rows, cols] matrix. */
    static float[] transposed(float[] a, int rows, int cols) {
        float[] t = new float[a.length];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                t[c * rows + r] = a[r * cols + c];
            }
        }
        return t;
    }

    /** torch.nn.Linear {@code prefix} ({@code prefix.weight}, {@code prefix.bias}). */
    String linear(String prefix, String x) {
        return linear(prefix, x, weights.floats(prefix + ".weight"), weights.floats(prefix + ".bias"));
    }

    /** torch.nn.LayerNorm {@code prefix} over the last axis, eps 1e-5. */
    String layerNorm(String prefix, String x) {
        return graph.node("LayerNormalization", prefix + ".layer_norm",
                List.of(x, parameter(prefix + ".weight"), parameter(prefix + ".bias")),
                Attribute.integer("axis", -1), Attribute.real("epsilon", 1e-5f));
    }

    /** The model's parameter {@code name} as it is, an initializer of the same name and shape. */
    String parameter(String name) {
        return graph.floats(name, weights.floats(name), weights.shape(name));
    }

    /** Reshape to a constant shape (-1 for the one free dimension, 0 to keep the input's). */
    String reshape(String output, String x, long... shape) {
        return reshapeTo(output, x, graph.int64s(shape));
    }

    /** Reshape to the shape an int64 tensor of the graph holds. */
    String reshapeTo(String output, String x, String shape) {
        return graph.node("Reshape", output, List.of(x, shape));
    }

    String transpose(String output, String x, long... perm) {
        return graph.node("Transpose", output, List.of(x), Attribute.ints("perm", perm));
    }

    String add(String output, String a, String b) {
        return graph.node("Add", output, List.of(a, b));
    }

    String matMul(String output, String a, String b) {
        return graph.node("MatMul", output, List.of(a, b));
    }
}
