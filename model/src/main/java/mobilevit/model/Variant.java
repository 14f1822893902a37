package mobilevit.model;

import mobilevit.core.Choice;

import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;

/**
 * The three MobileViT v1 sizes (paper Table 4, CVNets v0.1 configs), each an {@link Architecture}:
 * two stages of MV2 blocks, then three of an MV2 block downsampling and a MobileViT block.
 */
public enum Variant implements Choice {
    XXS("xx_small", new Architecture("XXS", 16, List.of(
            //                        C, blocks, stride, expansion
            new InvertedResidualStage(16, 1, 1, 2),
            new InvertedResidualStage(24, 3, 2, 2),
            //                 C, stride, expansion, d, ffn, L, heads, patch
            new MobileViTStage(48, 2, 2, 64, 128, 2, 4, 2),
            new MobileViTStage(64, 2, 2, 80, 160, 4, 4, 2),
            new MobileViTStage(80, 2, 2, 96, 192, 3, 4, 2)),
            320, 0.05f)),
    XS("x_small", new Architecture("XS", 16, List.of(
            new InvertedResidualStage(32, 1, 1, 4),
            new InvertedResidualStage(48, 3, 2, 4),
            new MobileViTStage(64, 2, 4, 96, 192, 2, 4, 2),
            new MobileViTStage(80, 2, 4, 120, 240, 4, 4, 2),
            new MobileViTStage(96, 2, 4, 144, 288, 3, 4, 2)),
            384, 0.1f)),
    S("small", new Architecture("S", 16, List.of(
            new InvertedResidualStage(32, 1, 1, 4),
            new InvertedResidualStage(64, 3, 2, 4),
            new MobileViTStage(96, 2, 4, 144, 288, 2, 4, 2),
            new MobileViTStage(128, 2, 4, 192, 384, 4, 4, 2),
            new MobileViTStage(160, 2, 4, 240, 480, 3, 4, 2)),
            640, 0.1f));

    /** CVNets' name of the variant ({@code xx_small}, {@code x_small}, {@code small}). */
    private final String cvnetsName;
    private final Architecture architecture;

    Variant(String cvnetsName, Architecture architecture) {
        this.cvnetsName = cvnetsName;
        this.architecture = architecture;
    }

    /**
     * Parses {@code xxs}, {@code xs} or {@code s} (also CVNets' {@code xx_small}, {@code x_small},
     * {@code small}), case-insensitively.
     *
     * @throws IllegalArgumentException naming the accepted values
     */
    public static Variant parse(String name) {
        return Choice.parse(Variant.class, name, t -> "unknown MobileViT variant '" + t + "' (expected one of "
                + Arrays.stream(values()).map(Variant::id).collect(Collectors.joining(", ")) + ")");
    }

    /** {@code xxs}, {@code xs} or {@code s}, and CVNets' name. */
    @Override
    public List<String> names() {
        return List.of(id(), cvnetsName);
    }

    /** The variant's table; its final channels are min(4 * C of the last stage, 960). */
    public Architecture architecture() { return architecture; }
}
