package mobilevit.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

import java.util.ArrayList;
import java.util.List;

/**
 * MobileViT's feature extractor, from the stem to the final 1x1 expansion conv, built from an
 * {@link Architecture}: [N, 3, H, W] to [N, C, H/32, W/32] for the variants, C their final channels.
 * Children: {@code conv_1}, {@code layer_1} to {@code layer_<stages>}, {@code conv_1x1_exp}.
 */
public final class Features extends AbstractBlock {

    private final ConvLayer stem;
    private final List<Stage> stages = new ArrayList<>();
    private final ConvLayer expansion;

    Features(Architecture architecture, float transformerDropout) {
        stem = addChildBlock("conv_1", ConvLayer.convBnAct(architecture.stemChannels(), 3, 2));
        int in = architecture.stemChannels();
        for (StageSpec spec : architecture.stages()) {
            stages.add(addChildBlock(stageName(stages.size()), new Stage(spec.build(in, transformerDropout))));
            in = spec.outChannels();
        }
        expansion = addChildBlock("conv_1x1_exp", ConvLayer.convBnAct(architecture.finalChannels(), 1, 1));
    }

    /** CVNets' name of the stage at {@code index}: {@code layer_1} for the first. */
    private static String stageName(int index) {
        return "layer_" + (index + 1);
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        return new NDList(forward(ps, inputs.singletonOrThrow(), training, params, StageRecorder.NONE));
    }

    /**
     * The forward, reporting the stem, each stage, the MobileViT blocks' internals
     * ({@code layer_3_mvit_unfolded}, ...) and the expansion conv to {@code recorder}, under the names
     * of the reference fixtures.
     */
    public NDArray forward(ParameterStore ps, NDArray input, boolean training, PairList<String, Object> params,
            StageRecorder recorder) {
        NDArray x = stem.forward(ps, new NDList(MemoryFormat.of(params).store(input)), training, params)
                .singletonOrThrow();
        recorder.record("conv_1", x);
        for (int i = 0; i < stages.size(); i++) {
            String name = stageName(i);
            x = stages.get(i).forward(ps, x, training, params,
                    (step, value) -> recorder.record(name + "_mvit_" + step, value));
            recorder.record(name, x);
        }
        x = expansion.forward(ps, new NDList(x), training, params).singletonOrThrow();
        recorder.record("conv_1x1_exp", x);
        return x;
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        Shape[] s = stem.getOutputShapes(inputShapes);
        for (Stage stage : stages) {
            s = stage.getOutputShapes(s);
        }
        return expansion.getOutputShapes(s);
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        Shape[] s = inputShapes;
        stem.initialize(manager, dataType, s);
        s = stem.getOutputShapes(s);
        for (Stage stage : stages) {
            stage.initialize(manager, dataType, s);
            s = stage.getOutputShapes(s);
        }
        expansion.initialize(manager, dataType, s);
    }
}
