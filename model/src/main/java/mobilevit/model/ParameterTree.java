package mobilevit.model;

import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.util.Pair;

import java.util.ArrayList;
import java.util.List;

/** The one walk of a block tree that names every parameter as PyTorch would (CVNets' state-dict names). */
final class ParameterTree {

    /**
     * A parameter, its name and the block that holds it directly.
     *
     * @param name e.g. {@code layer_3.1.global_rep.0.pre_norm_mha.1.qkv_proj.weight}
     */
    record Entry(String name, Block owner, Parameter parameter) {}

    private ParameterTree() {}

    /** Every parameter under {@code roots} (each named from the empty prefix), in definition order. */
    static List<Entry> walk(Block... roots) {
        List<Entry> out = new ArrayList<>();
        for (Block root : roots) {
            walk("", root, out);
        }
        return out;
    }

    private static void walk(String prefix, Block block, List<Entry> out) {
        for (Pair<String, Parameter> p : block.getDirectParameters()) {
            out.add(new Entry(prefix + torchName(p.getKey()), block, p.getValue()));
        }
        for (Pair<String, Block> child : block.getChildren()) {
            // DJL prefixes child names with a two-digit position ("01conv_1").
            walk(prefix + child.getKey().substring(2) + ".", child.getValue(), out);
        }
    }

    /** DJL's parameter names as PyTorch calls them. */
    private static String torchName(String djlName) {
        switch (djlName) {
            case "gamma": return "weight";
            case "beta": return "bias";
            case "runningMean": return "running_mean";
            case "runningVar": return "running_var";
            default: return djlName;
        }
    }
}
