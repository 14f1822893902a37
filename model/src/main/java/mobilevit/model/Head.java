package mobilevit.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.core.Linear;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

/**
 * MobileViT's classification head: global average pooling, dropout and a linear classifier
 * ({@code classifier.fc}); [N, C, H, W] features to [N, classes] float32 logits.
 */
public final class Head extends AbstractBlock {

    private final int numClasses;
    private final float dropout;
    private final Linear classifier;

    Head(int numClasses, float dropout) {
        this.numClasses = numClasses;
        this.dropout = dropout;
        classifier = addChildBlock("classifier.fc", Linear.builder().setUnits(numClasses).build());
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        return new NDList(forward(ps, inputs.singletonOrThrow(), training, params, StageRecorder.NONE));
    }

    /** The forward, reporting the pooled features and the logits to {@code recorder}. */
    public NDArray forward(ParameterStore ps, NDArray features, boolean training, PairList<String, Object> params,
            StageRecorder recorder) {
        Shape s = features.getShape();
        NDArray pooled = features.reshape(s.get(0), s.get(1), -1).mean(new int[] {2}); // [N, C]
        recorder.record("pooled", pooled);
        NDArray dropped = Precision.forCompute(DropoutStream.apply(pooled, dropout, training, params), params);
        NDArray logits = Precision.forNormalisation(
                classifier.forward(ps, new NDList(dropped), training, params).singletonOrThrow()); // [N, classes]
        recorder.record("logits", logits);
        return logits;
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return new Shape[] {new Shape(inputShapes[0].get(0), numClasses)};
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        Shape s = inputShapes[0];
        classifier.initialize(manager, dataType, new Shape(s.get(0), s.get(1)));
    }
}
