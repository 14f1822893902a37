package mobilevit.model;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * The three MobileViT v1 sizes as data (paper Table 4, CVNets v0.1 configs), read by one builder.
 *
 * <p>Stages 1 and 2 are MobileNetV2 inverted residuals; stages 3 to 5 start with a stride-2
 * inverted residual followed by a MobileViT block of width {@code dims[i]}, feed-forward width
 * {@code ffnDims[i]} and {@code depths[i]} transformer layers.
 */
public enum Variant {
    XXS("xxs", new int[] {16, 24, 48, 64, 80}, new int[] {64, 80, 96}, new int[] {128, 160, 192},
            2, 320, 0.05f),
    XS("xs", new int[] {32, 48, 64, 80, 96}, new int[] {96, 120, 144}, new int[] {192, 240, 288},
            4, 384, 0.1f),
    S("s", new int[] {32, 64, 96, 128, 160}, new int[] {144, 192, 240}, new int[] {288, 384, 480},
            4, 640, 0.1f);

    /** Output channels of the stem (conv 3x3, stride 2). */
    public static final int STEM_CHANNELS = 16;
    /** Transformer layers in the MobileViT blocks of stages 3, 4 and 5. */
    static final int[] DEPTHS = {2, 4, 3};
    /** Inverted residuals in stages 1 and 2. */
    static final int[] MV2_BLOCKS = {1, 3};
    static final int NUM_HEADS = 4;
    static final int PATCH = 2;

    private final String id;
    private final int[] channels;
    private final int[] dims;
    private final int[] ffnDims;
    private final int expansion;
    private final int expChannels;
    private final float transformerDropout;

    Variant(String id, int[] channels, int[] dims, int[] ffnDims, int expansion, int expChannels,
            float transformerDropout) {
        this.id = id;
        this.channels = channels;
        this.dims = dims;
        this.ffnDims = ffnDims;
        this.expansion = expansion;
        this.expChannels = expChannels;
        this.transformerDropout = transformerDropout;
    }

    /**
     * Parses {@code xxs}, {@code xs} or {@code s} (also CVNets' {@code xx_small}, {@code x_small},
     * {@code small}), case-insensitively.
     *
     * @throws IllegalArgumentException naming the accepted values
     */
    public static Variant parse(String name) {
        String n = name == null ? "" : name.trim().toLowerCase(Locale.ROOT);
        switch (n) {
            case "xxs": case "xx_small": return XXS;
            case "xs": case "x_small": return XS;
            case "s": case "small": return S;
            default:
                throw new IllegalArgumentException("unknown MobileViT variant '" + name
                        + "' (expected one of " + Arrays.stream(values()).map(Variant::id)
                        .collect(Collectors.joining(", ")) + ")");
        }
    }

    public String id() { return id; }

    /** Output channels of stages 1 to 5 (index 0 to 4). */
    public int channels(int stage) { return channels[stage - 1]; }

    /** Transformer width d of the MobileViT block in stage 3, 4 or 5. */
    public int dim(int stage) { return dims[stage - 3]; }

    public int ffnDim(int stage) { return ffnDims[stage - 3]; }

    public int depth(int stage) { return DEPTHS[stage - 3]; }

    /** Expansion ratio of every inverted residual. */
    public int expansion() { return expansion; }

    /** Channels of the final 1x1 conv: min(4 * C5, 960). */
    public int expChannels() { return expChannels; }

    /** Transformer dropout of the CVNets v0.1 config. */
    public float transformerDropout() { return transformerDropout; }
}
