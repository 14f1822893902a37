package mobilevit.model;

import ai.djl.nn.Block;

import java.util.List;

/** One row of an {@link Architecture}'s stage table: what a stage outputs and how it builds its blocks. */
public sealed interface StageSpec permits InvertedResidualStage, MobileViTStage {

    /** Output channels C of the stage. */
    int outChannels();

    /** Stride of the stage's first block (1 or 2). */
    int stride();

    /** The stage's blocks, in order, for {@code inChannels} input channels. */
    List<Block> build(int inChannels, float transformerDropout);
}
