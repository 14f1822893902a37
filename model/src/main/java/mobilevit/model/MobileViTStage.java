package mobilevit.model;

import ai.djl.nn.Block;

import java.util.List;

/**
 * A stage of one MV2 block (downsampling by {@code stride}) followed by one MobileViT block.
 *
 * @param outChannels C, output channels of both blocks
 * @param stride stride of the MV2 block
 * @param expansion expansion ratio of the MV2 block
 * @param transformerDim d, width of the transformer
 * @param ffnDim width of the transformer's feed-forward network
 * @param depth L, number of transformer layers
 * @param heads attention heads
 * @param patch side of the square patches the transformer attends across
 */
public record MobileViTStage(int outChannels, int stride, int expansion, int transformerDim, int ffnDim, int depth,
        int heads, int patch) implements StageSpec {

    @Override
    public List<Block> build(int inChannels, float transformerDropout) {
        return List.of(new InvertedResidual(inChannels, outChannels, stride, expansion),
                new MobileViTBlock(outChannels, transformerDim, ffnDim, depth, heads, patch, transformerDropout));
    }
}
