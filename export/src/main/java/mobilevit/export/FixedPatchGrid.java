package mobilevit.export;

import mobilevit.model.BilinearResize;

/**
 * A {@link PatchGrid} for a map size fixed at export: every shape a constant, and the resize, where
 * a side is not a whole number of patches, the model's own interpolation matrices
 * ({@link BilinearResize#matrix}) as MatMul initializers, y = Rh x Rw^T, so the file computes what the
 * model computes.
 */
final class FixedPatchGrid implements PatchGrid {

    private final GraphOps ops;
    private final String prefix;
    private final int h;
    private final int w;
    private final int h2;
    private final int w2;
    private final int patch;
    private final int d;

    FixedPatchGrid(GraphOps ops, String prefix, int d, int h, int w, int patch) {
        this.ops = ops;
        this.prefix = prefix;
        this.d = d;
        this.h = h;
        this.w = w;
        this.patch = patch;
        this.h2 = (h + patch - 1) / patch * patch;
        this.w2 = (w + patch - 1) / patch * patch;
    }

    @Override
    public String toPatches(String x) {
        return resize(prefix + ".resize_to_patches", x, h, w, h2, w2);
    }

    @Override
    public String fromPatches(String x) {
        return resize(prefix + ".resize_from_patches", x, h2, w2, h, w);
    }

    @Override
    public String split() {
        return ops.graph().int64s(-1, d, h2 / patch, patch, w2 / patch, patch);
    }

    @Override
    public String tokens() {
        return ops.graph().int64s(-1, (long) (h2 / patch) * (w2 / patch), d);
    }

    @Override
    public String unmerge() {
        return ops.graph().int64s(-1, patch, patch, h2 / patch, w2 / patch, d);
    }

    @Override
    public String map() {
        return ops.graph().int64s(-1, d, h2, w2);
    }

    /** [N, d, inH, inW] to [N, d, outH, outW] as Rh x (x Rw^T), each side only where it changes. */
    private String resize(String name, String x, int inH, int inW, int outH, int outW) {
        if (inW != outW) {
            float[] rwT = GraphOps.transposed(BilinearResize.matrix(inW, outW), outW, inW);
            x = ops.matMul(name + ".width", x, ops.graph().floats(name + ".rw_t", rwT, inW, outW));
        }
        if (inH != outH) {
            String rh = ops.graph().floats(name + ".rh", BilinearResize.matrix(inH, outH), outH, inH);
            x = ops.matMul(name + ".height", rh, x);
        }
        return x;
    }
}
