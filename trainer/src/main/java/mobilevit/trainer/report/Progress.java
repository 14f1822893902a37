package mobilevit.trainer.report;

import com.google.gson.JsonObject;

import mobilevit.data.pipeline.MultiScaleSampler;
import mobilevit.trainer.checkpoint.Checkpoint;
import mobilevit.trainer.step.LossScaler;
import mobilevit.trainer.step.TrainStep;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.Locale;

/**
 * Progress of a run: every {@code every} iterations a log line (epoch, iteration, loss now and
 * running mean, learning rate, images/s, share of time spent waiting for data, ETA; under fp16 the loss
 * scale and the steps skipped) and the same as
 * a JSON line in {@code log.jsonl}; a summary line per epoch.
 */
public final class Progress {

    private static final Logger LOG = LoggerFactory.getLogger(Progress.class);

    private final Path jsonl;
    private final int every;
    private final int epochs;
    private final MultiScaleSampler sampler;
    /** Null under fp32. */
    private final LossScaler scaler;
    private long intervalStart = System.nanoTime();
    private long intervalImages;
    private long intervalWait;
    private int intervalSteps;
    private double secondsPerStep = Double.NaN;

    /** @param scaler the fp16 run's loss scaler, whose scale and skipped steps each line shows; null under fp32 */
    public Progress(Path jsonl, int every, int epochs, MultiScaleSampler sampler, LossScaler scaler) {
        this.jsonl = jsonl;
        this.every = every;
        this.epochs = epochs;
        this.sampler = sampler;
        this.scaler = scaler;
    }

    /** Records one iteration (a micro-batch); logs after every {@code every} of them and at the epoch's end. */
    public void iteration(RunState s, int epochIterations, TrainStep.Result r, double lr, long waitNanos) {
        intervalImages += r.images();
        intervalWait += waitNanos;
        intervalSteps++;
        if (intervalSteps < every && s.iteration != epochIterations) {
            return;
        }
        long now = System.nanoTime();
        double seconds = (now - intervalStart) / 1e9;
        double perStep = seconds / intervalSteps;
        secondsPerStep = Double.isNaN(secondsPerStep) ? perStep : 0.7 * secondsPerStep + 0.3 * perStep;
        long remaining = epochIterations - s.iteration;
        for (int e = s.epoch + 1; e < epochs; e++) {
            remaining += sampler.iterations(e);
        }
        double imagesPerSecond = intervalImages / Math.max(seconds, 1e-9);
        double waitShare = intervalWait / 1e9 / Math.max(seconds, 1e-9);
        double runningLoss = s.epochLossSum / Math.max(1, s.epochImages);
        double eta = remaining * secondsPerStep;
        String scaling = scaler == null ? "" : String.format(Locale.ROOT, "  loss scale %.0f  skipped steps %d",
                scaler.scale(), scaler.skippedSteps());
        LOG.info(String.format(Locale.ROOT,
                "epoch %d/%d  iter %d/%d  loss %.4f (avg %.4f)  lr %.7f  %.1f img/s  data wait %.0f%%  ETA %s%s",
                s.epoch + 1, epochs, s.iteration, epochIterations, r.loss(), runningLoss, lr, imagesPerSecond,
                100 * waitShare, duration(eta), scaling));
        JsonObject o = new JsonObject();
        o.addProperty("time", Instant.now().toString());
        o.addProperty("epoch", s.epoch + 1);
        o.addProperty("iteration", s.iteration);
        o.addProperty("iterations", epochIterations);
        o.addProperty("step", s.step);
        o.addProperty("loss", r.loss());
        o.addProperty("loss_avg", runningLoss);
        o.addProperty("lr", lr);
        o.addProperty("images_per_second", imagesPerSecond);
        o.addProperty("data_wait_fraction", waitShare);
        o.addProperty("eta_seconds", eta);
        if (scaler != null) {
            o.addProperty("loss_scale", scaler.scale());
            o.addProperty("skipped_steps", scaler.skippedSteps());
        }
        append(o);
        intervalStart = now;
        intervalImages = 0;
        intervalWait = 0;
        intervalSteps = 0;
    }

    public void epoch(RunState s, EpochMetrics.Row row, double validationImagesPerSecond) {
        LOG.info(String.format(Locale.ROOT,
                "epoch %d/%d done: train loss %.4f | val top-1 %.2f top-5 %.2f | EMA top-1 %.2f top-5 %.2f"
                        + " | %d images trained, %d skipped (train), %d skipped (val) | validation %.0f img/s",
                row.epoch(), epochs, row.trainLoss(), row.top1(), row.top5(), row.emaTop1(), row.emaTop5(),
                row.images(), row.skippedTrain(), row.skippedVal(), validationImagesPerSecond));
        JsonObject o = Checkpoint.GSON.toJsonTree(row).getAsJsonObject();
        o.addProperty("time", Instant.now().toString());
        o.addProperty("event", "epoch");
        append(o);
        intervalStart = System.nanoTime(); // validation time is not training time
    }

    private void append(JsonObject o) {
        try {
            Files.writeString(jsonl, o.toString() + "\n", StandardCharsets.UTF_8, StandardOpenOption.CREATE,
                    StandardOpenOption.APPEND);
        } catch (IOException e) {
            LOG.warn("cannot append to {}: {}", jsonl, e.getMessage());
        }
    }

    /** 93784 s -> "1d 02:03:04". */
    static String duration(double seconds) {
        if (!Double.isFinite(seconds)) {
            return "?";
        }
        long s = Math.round(seconds);
        long days = s / 86400;
        String hms = String.format(Locale.ROOT, "%02d:%02d:%02d", s / 3600 % 24, s / 60 % 60, s % 60);
        return days > 0 ? days + "d " + hms : hms;
    }
}
