package mobilevit.trainer.step;

import ai.djl.ndarray.NDArray;

/**
 * Cross-entropy with label smoothing over C classes (CVNets v0.1 / PyTorch
 * {@code cross_entropy(label_smoothing=eps)}): per sample (1-eps)(-log p_y) + (eps/C) sum_k(-log p_k),
 * averaged over the batch.
 */
public final class LabelSmoothing {

    private LabelSmoothing() {}

    /**
     * @param logits [N, C]
     * @param labels [N] class indices (int32 or int64)
     * @param eps smoothing in [0, 1)
     * @return the scalar mean loss
     */
    public static NDArray loss(NDArray logits, NDArray labels, double eps) {
        long classes = logits.getShape().get(1);
        NDArray logP = logits.logSoftmax(1);
        NDArray target = labels.oneHot((int) classes, logits.getDataType())
                .mul(1 - eps).add(eps / classes); // (1-eps) one_hot + eps/C
        return logP.mul(target).sum(new int[] {1}).neg().mean();
    }
}
