package mobilevit.model;

import ai.djl.nn.Block;

import java.util.ArrayList;
import java.util.List;

/**
 * A stage of MobileNetV2 inverted residuals (MV2 blocks): the first with {@code stride}, the others
 * with stride 1.
 *
 * @param outChannels output channels of every block
 * @param blocks number of MV2 blocks
 * @param stride stride of the first block
 * @param expansion expansion ratio of every block
 */
public record InvertedResidualStage(int outChannels, int blocks, int stride, int expansion) implements StageSpec {

    @Override
    public List<Block> build(int inChannels, float transformerDropout) {
        List<Block> out = new ArrayList<>(blocks);
        for (int i = 0; i < blocks; i++) {
            out.add(new InvertedResidual(i == 0 ? inChannels : outChannels, outChannels, i == 0 ? stride : 1,
                    expansion));
        }
        return out;
    }
}
