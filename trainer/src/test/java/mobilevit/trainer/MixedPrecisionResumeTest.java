package mobilevit.trainer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;

import com.google.gson.JsonObject;

import mobilevit.data.dataset.SyntheticImageNet;
import mobilevit.trainer.checkpoint.Checkpoint;
import mobilevit.trainer.config.TrainConfig;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * {@link ExactResumeTest} under {@code train.precision: fp16}: a run stopped mid-epoch and resumed
 * ends bit-identical to an uninterrupted one, loss scaler included (small 32..64 px crops: CPU float16
 * is slow).
 */
@Tag("slow")
class MixedPrecisionResumeTest {

    @TempDir
    Path dir;

    @Test
    void stoppedAndResumedFp16RunEqualsUninterruptedRun() throws IOException {
        SyntheticImageNet.generate(dir.resolve("data"), 2, 8, 2, 5);
        TrainConfig config = TrainConfig.load(Path.of(System.getProperty("fixtures.dir", "../fixtures"))
                .resolveSibling("configs").resolve("demo.yaml"), List.of(
                "data.root='" + dir.resolve("data") + "'", "model.num_classes=2", "train.epochs=2",
                "train.batch_size=4", "sampler.base_size=32", "sampler.min_size=32", "sampler.max_size=64",
                "sampler.num_scales=2", "eval.resize=36", "eval.crop=32", "eval.batch_size=4",
                "train.checkpoint_every=2", "schedule.warmup_iterations=3", "train.threads=1", "data.workers=1",
                "train.precision=fp16"));
        Path straight = dir.resolve("straight");
        Trainer.Summary a = Trainer.builder(config, straight).build().run();
        long steps = Trainer.builder(config, straight).build().plannedSteps();
        assertTrue(steps >= 4, "enough steps for a mid-epoch stop: " + steps);

        Path resumed = dir.resolve("resumed");
        Trainer.Summary first = Trainer.builder(config, resumed).optStopAfterStep(steps / 2 + 1).build().run();
        assertEquals(Trainer.Outcome.STOPPED, first.outcome());
        Trainer.Summary second = Trainer.builder(config, resumed).build().run();
        assertEquals(Trainer.Outcome.FINISHED, second.outcome());

        assertEquals(Files.readString(straight.resolve("metrics.csv")), Files.readString(resumed.resolve("metrics.csv")));
        try (NDManager m = NDManager.newBaseManager()) {
            Checkpoint.Contents x = Checkpoint.read(a.lastCheckpoint(), m);
            Checkpoint.Contents y = Checkpoint.read(second.lastCheckpoint(), m);
            ExactResumeTest.assertBitwiseEqual(x.raw(), y.raw());
            ExactResumeTest.assertBitwiseEqual(x.ema(), y.ema());
            ExactResumeTest.assertBitwiseEqual(x.optimizer(), y.optimizer());
            JsonObject scaler = x.state().getAsJsonObject("loss_scaler");
            assertEquals(scaler, y.state().getAsJsonObject("loss_scaler"));
            assertTrue(scaler.get("skipped_steps").getAsLong() > 0,
                    "the scaler backed off at least once, so its saved state matters: " + scaler);
            assertTrue(x.state().get("optimizer_steps").getAsLong() < x.state().get("global_step").getAsLong(),
                    "skipped steps count as iterations, not as AdamW steps: " + x.state());
        }
    }
}
