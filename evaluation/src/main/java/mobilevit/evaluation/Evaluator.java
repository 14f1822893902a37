package mobilevit.evaluation;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;

import mobilevit.data.pipeline.Batch;
import mobilevit.data.pipeline.Batches;
import mobilevit.data.pipeline.EvalLoader;
import mobilevit.model.Autograd;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Top-1/top-5 of one or more models (e.g. raw and EMA weights; a {@code MobileViT}, or an exported
 * file's block on ONNX Runtime, {@link OnnxFile#load}) in a single pass over a validation split: each image is decoded once, every model sees it, and every readable image is counted
 * exactly once (no padding, no dropped tail).
 */
public final class Evaluator {

    /** Called after each batch with the images done so far and the total. */
    @FunctionalInterface
    public interface Progress {
        /** Reports nothing. */
        Progress NONE = (done, total) -> { };

        void update(long done, long total);
    }

    /** Accuracy per model name, images per second, and the images that could not be read. */
    public record Result(Map<String, Accuracy> accuracy, double imagesPerSecond, int skipped) {}

    private Evaluator() {}

    /**
     * Evaluates every model of {@code models} (all on {@code manager}'s device) in eval mode.
     *
     * @param skippedList where to list unreadable images (null: nowhere)
     */
    public static Result evaluate(EvalLoader loader, Map<String, ? extends Block> models, int numClasses,
            NDManager manager, Path skippedList, Progress progress) {
        Map<String, Accuracy> accuracy = new LinkedHashMap<>();
        models.keySet().forEach(name -> accuracy.put(name, new Accuracy(numClasses)));
        boolean grad = Autograd.isEnabled();
        Autograd.setEnabled(false);
        long start = System.nanoTime();
        long done = 0;
        int skipped;
        try (Batches batches = loader.batches(skippedList)) {
            long total = loader.imageCount();
            while (batches.hasNext()) {
                try (Batch batch = batches.next(); NDManager scope = manager.newSubManager()) {
                    NDArray images = batch.images(scope, 0);
                    NDArray labels = batch.labels(scope, 0);
                    if (batch.shardSize(0) > 0) {
                        for (Map.Entry<String, ? extends Block> m : models.entrySet()) {
                            NDArray logits = m.getValue().forward(new ParameterStore(scope, false),
                                    new NDList(images), false).singletonOrThrow();
                            // another engine's block (ONNX Runtime) answers with its own arrays
                            accuracy.get(m.getKey()).add(scope.from(logits), labels);
                        }
                    }
                    done += batch.shardSize(0) + batch.skipped().size();
                }
                progress.update(done, total);
            }
            skipped = batches.skipped().size();
        } finally {
            Autograd.setEnabled(grad);
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        long images = accuracy.values().iterator().next().count();
        return new Result(accuracy, images / Math.max(seconds, 1e-9), skipped);
    }
}
