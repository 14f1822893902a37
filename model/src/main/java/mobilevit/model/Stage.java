package mobilevit.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

import java.util.List;

/** One stage built from its {@link StageSpec}: its blocks in order, named {@code 0}, {@code 1}, ... as in CVNets. */
final class Stage extends AbstractBlock {

    private final List<Block> blocks;

    Stage(List<Block> blocks) {
        this.blocks = List.copyOf(blocks);
        for (int i = 0; i < blocks.size(); i++) {
            addChildBlock(Integer.toString(i), blocks.get(i));
        }
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        return new NDList(forward(ps, inputs.singletonOrThrow(), training, params, StageRecorder.NONE));
    }

    /** The forward, reporting a MobileViT block's internals to {@code recorder} ({@code unfolded}, ...). */
    NDArray forward(ParameterStore ps, NDArray input, boolean training, PairList<String, Object> params,
            StageRecorder recorder) {
        NDArray x = input;
        for (Block block : blocks) {
            x = block instanceof MobileViTBlock mobileVit
                    ? mobileVit.forward(ps, x, training, params, recorder)
                    : block.forward(ps, new NDList(x), training, params).singletonOrThrow();
        }
        return x;
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        Shape[] s = inputShapes;
        for (Block block : blocks) {
            s = block.getOutputShapes(s);
        }
        return s;
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        Shape[] s = inputShapes;
        for (Block block : blocks) {
            block.initialize(manager, dataType, s);
            s = block.getOutputShapes(s);
        }
    }
}
