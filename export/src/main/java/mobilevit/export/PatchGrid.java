package mobilevit.export;

/**
 * The sizes of a MobileViT block's unfolding, for a map [N, d, h, w] whose sides are made whole
 * multiples h2, w2 of the patch p (a bilinear resize, align_corners=False, where they are not):
 * nh = h2 / p by nw = w2 / p patches, tokens = nh * nw. Constants when the input size is fixed at
 * export ({@link FixedPatchGrid}), computed from the map's shape when it is free ({@link FreePatchGrid}).
 */
interface PatchGrid {

    /** The map resized to whole patches, [N, d, h2, w2] (the map itself where it already is). */
    String toPatches(String x);

    /** The map back at its own size h x w from [N, d, h2, w2]. */
    String fromPatches(String x);

    /** int64 shape [-1, d, nh, p, nw, p]. */
    String split();

    /** int64 shape [-1, tokens, d]: the patches [N*P, tokens, d]. */
    String tokens();

    /** int64 shape [-1, p, p, nh, nw, d]. */
    String unmerge();

    /** int64 shape [-1, d, h2, w2]. */
    String map();
}
