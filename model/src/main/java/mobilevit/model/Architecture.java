package mobilevit.model;

import java.util.List;

/**
 * A MobileViT as a table: the stem (conv 3x3, stride 2, to {@code stemChannels}), the stages in
 * order (CVNets' {@code layer_1}, {@code layer_2}, ...), the final 1x1 expansion conv (to
 * {@code finalChannels}); the head (global average pooling, dropout, linear classifier) takes its
 * class count from {@link MobileViT.Builder}. {@link MobileViT} builds any such table.
 *
 * @param name what messages call the model ("MobileViT-" + name)
 * @param transformerDropout dropout in the transformers unless the builder sets another
 */
public record Architecture(String name, int stemChannels, List<StageSpec> stages, int finalChannels,
        float transformerDropout) {

    public Architecture {
        stages = List.copyOf(stages);
    }
}
