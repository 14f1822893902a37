package mobilevit.export;

import mobilevit.export.OnnxGraph.Attribute;

import java.util.List;

/**
 * A {@link PatchGrid} for a map whose size is known only when the file runs: h2, w2, nh, nw and the
 * token count computed from the map's Shape with int64 Add, Div and Mul; the resize to whole
 * patches and back a Resize node (linear, half_pixel: PyTorch's bilinear with align_corners=False,
 * no antialiasing), which is the identity where a side already is a whole number of patches.
 */
final class FreePatchGrid implements PatchGrid {

    private final GraphOps ops;
    private final String prefix;
    private final String map;
    private final int d;
    private final int patch;
    private final String h2;
    private final String w2;
    private final String nh;
    private final String nw;

    /** @param map the block's map [N, d, h, w] */
    FreePatchGrid(GraphOps ops, String prefix, String map, int d, int patch) {
        this.ops = ops;
        this.prefix = prefix;
        this.map = map;
        this.d = d;
        this.patch = patch;
        h2 = wholePatches("h", 2);
        w2 = wholePatches("w", 3);
        nh = node("Div", prefix + ".grid.nh", h2, ints(patch));
        nw = node("Div", prefix + ".grid.nw", w2, ints(patch));
    }

    @Override
    public String toPatches(String x) {
        String batchAndChannels = ops.graph().node("Shape", prefix + ".grid.nd", List.of(map),
                Attribute.integer("start", 0), Attribute.integer("end", 2));
        return resize(prefix + ".resize_to_patches", x, concat(prefix + ".grid.size2", batchAndChannels, h2, w2));
    }

    @Override
    public String fromPatches(String x) {
        return resize(prefix + ".resize_from_patches", x,
                ops.graph().node("Shape", prefix + ".grid.size", List.of(map)));
    }

    @Override
    public String split() {
        return concat(prefix + ".grid.split", ints(-1, d), nh, ints(patch), nw, ints(patch));
    }

    @Override
    public String tokens() {
        return concat(prefix + ".grid.tokens", ints(-1), node("Mul", prefix + ".grid.n", nh, nw), ints(d));
    }

    @Override
    public String unmerge() {
        return concat(prefix + ".grid.unmerge", ints(-1, patch, patch), nh, nw, ints(d));
    }

    @Override
    public String map() {
        return concat(prefix + ".grid.map2", ints(-1, d), h2, w2);
    }

    /** [side rounded up to a multiple of the patch] for the map's axis {@code axis}. */
    private String wholePatches(String side, int axis) {
        String n = ops.graph().node("Shape", prefix + ".grid." + side, List.of(map),
                Attribute.integer("start", axis), Attribute.integer("end", axis + 1));
        String up = node("Add", prefix + ".grid." + side + "_up", n, ints(patch - 1));
        String patches = node("Div", prefix + ".grid." + side + "_patches", up, ints(patch));
        return node("Mul", prefix + ".grid." + side + "2", patches, ints(patch));
    }

    private String resize(String name, String x, String sizes) {
        return ops.graph().node("Resize", name, List.of(x, "", "", sizes), Attribute.string("mode", "linear"),
                Attribute.string("coordinate_transformation_mode", "half_pixel"));
    }

    private String node(String op, String output, String a, String b) {
        return ops.graph().node(op, output, List.of(a, b));
    }

    private String concat(String output, String... parts) {
        return ops.graph().node("Concat", output, List.of(parts), Attribute.integer("axis", 0));
    }

    private String ints(long... values) {
        return ops.graph().int64s(values);
    }
}
