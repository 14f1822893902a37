package mobilevit.trainer.report;

import com.google.gson.JsonObject;

import mobilevit.evaluation.Accuracy;
import mobilevit.trainer.checkpoint.Checkpoint;
import mobilevit.trainer.step.TrainStep;

/**
 * Where a run stands: the next batch (epoch, iteration within it: the sampler's position), the
 * global step (optimizer steps taken, the schedule's and dropout's counter), and the running sums
 * of the current epoch. Every generator of the run is a function of (seed, epoch, iteration, step),
 * so this and the seed are the whole random state. Only its own methods change it.
 */
public final class RunState {

    int epoch;
    int iteration;
    long step;
    double epochLossSum;
    long epochImages;
    long epochSkipped;
    double lastLr;

    /** The epoch being trained, from 0. */
    public int epoch() {
        return epoch;
    }

    /** The next iteration of {@link #epoch()}. */
    public int iteration() {
        return iteration;
    }

    /** Optimizer steps applied so far (the global step). */
    public long step() {
        return step;
    }

    /** A new state.json holding this state first (the other parts add their members). */
    public JsonObject toJson(long seed) {
        JsonObject o = new JsonObject();
        o.addProperty("format", 1);
        o.addProperty("epoch", epoch);
        o.addProperty("iteration", iteration);
        o.addProperty("global_step", step);
        o.addProperty("epoch_loss_sum", epochLossSum);
        o.addProperty("epoch_images", epochImages);
        o.addProperty("epoch_skipped", epochSkipped);
        o.addProperty("last_lr", lastLr);
        JsonObject random = new JsonObject();
        random.addProperty("seed", seed);
        random.addProperty("sampler", "permutation and scales of epoch " + epoch + " from (seed, epoch); next iteration "
                + iteration);
        random.addProperty("augmentation", "per sample from (seed, epoch, position in epoch)");
        random.addProperty("dropout", "per step and replica from (seed, global step " + step + ", replica)");
        o.add("random", random);
        return o;
    }

    /**
     * Reads what {@link #toJson} wrote.
     *
     * @throws IllegalArgumentException naming the first field that is missing or not a number
     */
    public static RunState fromJson(JsonObject o) {
        RunState s = new RunState();
        s.epoch = (int) Checkpoint.number(o, "epoch").longValue();
        s.iteration = (int) Checkpoint.number(o, "iteration").longValue();
        s.step = Checkpoint.number(o, "global_step").longValue();
        s.epochLossSum = Checkpoint.number(o, "epoch_loss_sum").doubleValue();
        s.epochImages = Checkpoint.number(o, "epoch_images").longValue();
        s.epochSkipped = Checkpoint.number(o, "epoch_skipped").longValue();
        s.lastLr = Checkpoint.number(o, "last_lr").doubleValue();
        return s;
    }

    /**
     * Counts one trained micro-batch: the next iteration, its loss and images (none when an fp16
     * step's loss was not finite), the step when its window closed, the images the loader skipped
     * in every process, and the learning rate.
     */
    public void count(int nextIteration, TrainStep.Result r, long skippedImages, double lr) {
        iteration = nextIteration;
        if (r.updated()) {
            step++;
        }
        if (r.images() > 0) {
            epochLossSum += r.loss() * r.images();
        }
        epochImages += r.images();
        epochSkipped += skippedImages;
        lastLr = lr;
    }

    /** The row of the epoch that just ended, validated with these accuracies of the raw and EMA weights. */
    public EpochMetrics.Row row(int iterations, Accuracy raw, Accuracy ema, long skippedVal) {
        return new EpochMetrics.Row(epoch + 1, iterations, epochImages, epochLossSum / Math.max(1, epochImages), lastLr,
                raw.top1(), raw.top5(), ema.top1(), ema.top5(), epochSkipped, skippedVal);
    }

    /** Starts the next epoch. */
    public void nextEpoch() {
        epoch++;
        iteration = 0;
        epochLossSum = 0;
        epochImages = 0;
        epochSkipped = 0;
    }
}
