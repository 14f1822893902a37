package mobilevit.trainer;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;

/**
 * Where a run stands: the next batch (epoch, iteration within it), the global step (optimizer
 * steps taken, the schedule's and dropout's counter), and the running sums of the current epoch.
 * Every generator of the run is a function of (seed, epoch, iteration, step), so this and the seed
 * are the whole random state.
 */
final class RunState {

    int epoch;
    int iteration;
    long step;
    double epochLossSum;
    long epochImages;
    long epochSkipped;
    double lastLr;

    JsonObject toJson(long seed) {
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
    static RunState fromJson(JsonObject o) {
        RunState s = new RunState();
        s.epoch = (int) number(o, "epoch").longValue();
        s.iteration = (int) number(o, "iteration").longValue();
        s.step = number(o, "global_step").longValue();
        s.epochLossSum = number(o, "epoch_loss_sum").doubleValue();
        s.epochImages = number(o, "epoch_images").longValue();
        s.epochSkipped = number(o, "epoch_skipped").longValue();
        s.lastLr = number(o, "last_lr").doubleValue();
        return s;
    }

    /** A numeric field of the state. */
    static Number number(JsonObject o, String key) {
        JsonElement e = o.get(key);
        if (e == null || !e.isJsonPrimitive() || !e.getAsJsonPrimitive().isNumber()) {
            throw new IllegalArgumentException("state.json: '" + key + "' is missing or not a number");
        }
        return e.getAsNumber();
    }

    /** Starts the next epoch. */
    void nextEpoch() {
        epoch++;
        iteration = 0;
        epochLossSum = 0;
        epochImages = 0;
        epochSkipped = 0;
    }
}
