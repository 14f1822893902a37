package mobilevit.trainer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;

import mobilevit.data.dataset.SyntheticImageNet;
import mobilevit.trainer.checkpoint.Checkpoint;
import mobilevit.trainer.config.ConfigException;
import mobilevit.trainer.config.TrainConfig;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A run stopped mid-epoch and resumed ends with the same raw weights, EMA weights and metrics.csv,
 * bit for bit, as an uninterrupted one (CPU, one PyTorch thread, two decoding threads), dropout and
 * augmentation on. With two PyTorch threads this test failed in 2 of about 8 runs on a heavily loaded
 * machine (the losses of the two runs parted before any stop), so bit-exactness is promised for one
 * intra-op thread only.
 */
@Tag("slow")
class ExactResumeTest {

    @TempDir
    static Path dir;

    @BeforeAll
    static void data() throws IOException {
        SyntheticImageNet.generate(dir.resolve("data"), 3, 12, 4, 5);
    }

    @Test
    void stoppedAndResumedRunEqualsUninterruptedRun() throws IOException {
        check(1);
    }

    /**
     * With gradient accumulation (2 micro-batches a step) the stop and the checkpoints fall between
     * updates.
     */
    @Test
    void stoppedAndResumedRunWithGradientAccumulationEqualsUninterruptedRun() throws IOException {
        check(2);
    }

    /**
     * A run stopped mid-epoch and resumed with a configuration whose epoch is already over at that
     * iteration (here a larger batch) is refused as a configuration error, naming what to do.
     */
    @Test
    void resumingPastTheEndOfTheNewConfigurationsEpochIsAConfigError() throws IOException {
        Path run = dir.resolve("changed-batch");
        Trainer.Summary first = Trainer.builder(config("train.batch_size=3", "train.accum_freq=1"), run)
                .optStopAfterStep(10).build().run();
        assertEquals(Trainer.Outcome.STOPPED, first.outcome());
        TrainConfig larger = config("train.batch_size=12", "train.accum_freq=1");
        ConfigException e = assertThrows(ConfigException.class, () -> Trainer.builder(larger, run).build().run());
        assertTrue(e.getMessage().startsWith("the checkpoint stopped at iteration 10 of epoch 1, which has ")
                && e.getMessage().endsWith(" iterations with this configuration (train.batch_size, the sampler.*"
                + " keys, train.devices or the data changed): resume with the run's own config.yaml"), e.getMessage());
    }

    private static TrainConfig config(String... overrides) throws IOException {
        List<String> keys = new ArrayList<>(List.of(
                "data.root='" + dir.resolve("data") + "'", "model.num_classes=3", "train.epochs=2",
                "sampler.base_size=64", "sampler.min_size=64", "sampler.max_size=96",
                "sampler.num_scales=2", "eval.resize=72", "eval.crop=64", "eval.batch_size=5",
                "train.checkpoint_every=2", "schedule.warmup_iterations=3", "train.threads=1", "data.workers=2"));
        keys.addAll(List.of(overrides));
        return TrainConfig.load(Path.of(System.getProperty("fixtures.dir", "../fixtures"))
                .resolveSibling("configs").resolve("demo.yaml"), keys);
    }

    private static void check(int accumulation) throws IOException {
        TrainConfig config = config("train.batch_size=6", "train.accum_freq=" + accumulation);
        Path straight = dir.resolve("straight-" + accumulation);
        Trainer.Summary a = Trainer.builder(config, straight).build().run();
        assertEquals(Trainer.Outcome.FINISHED, a.outcome());
        long steps = Trainer.builder(config, straight).build().plannedSteps();
        assertTrue(steps >= 8 / accumulation, "enough steps for a mid-epoch stop: " + steps);

        Path resumed = dir.resolve("resumed-" + accumulation);
        long stopAt = steps / 2 + 1; // not an epoch end, not a checkpoint step: the stop itself saves
        Trainer.Summary first = Trainer.builder(config, resumed).optStopAfterStep(stopAt).build().run();
        assertEquals(Trainer.Outcome.STOPPED, first.outcome());
        Trainer.Summary second = Trainer.builder(config, resumed).build().run();
        assertEquals(Trainer.Outcome.FINISHED, second.outcome());

        assertEquals(Files.readString(straight.resolve("metrics.csv")), Files.readString(resumed.resolve("metrics.csv")));
        assertEquals(3, Files.readAllLines(straight.resolve("metrics.csv")).size(), "header and two epochs");
        try (NDManager m = NDManager.newBaseManager()) {
            Checkpoint.Contents x = Checkpoint.read(a.lastCheckpoint(), m);
            Checkpoint.Contents y = Checkpoint.read(second.lastCheckpoint(), m);
            assertBitwiseEqual(x.raw(), y.raw());
            assertBitwiseEqual(x.ema(), y.ema());
            assertBitwiseEqual(x.optimizer(), y.optimizer());
            assertEquals(x.state().get("global_step"), y.state().get("global_step"));
        }
    }

    /** Every tensor of {@code expected}, byte for byte, in {@code actual} under its name. */
    static void assertBitwiseEqual(NDList expected, NDList actual) {
        assertEquals(expected.size(), actual.size());
        for (NDArray e : expected) {
            NDArray a = actual.get(e.getName());
            assertArrayEquals(e.toByteArray(), a.toByteArray(), e.getName());
        }
    }
}
