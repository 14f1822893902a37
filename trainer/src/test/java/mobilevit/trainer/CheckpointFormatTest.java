package mobilevit.trainer;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;

import mobilevit.data.dataset.SyntheticImageNet;
import mobilevit.trainer.checkpoint.Checkpoint;
import mobilevit.trainer.checkpoint.RunFolderLock;
import mobilevit.trainer.cluster.Cluster;
import mobilevit.trainer.config.TrainConfig;
import mobilevit.trainer.report.EpochMetrics;
import mobilevit.trainer.report.RunState;
import mobilevit.trainer.step.TrainStep;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * A checkpoint written by an earlier version of the trainer (resources
 * {@code checkpoint-be92c2b/}, made as its README says) stays readable: loaded and saved again it
 * gives the same tensors bit for bit and the same state.json values, and resumed for a few steps in
 * one go it ends bit for bit where a resume stopped half-way and resumed again ends. Both runs are
 * computed here, on this machine (another CPU may round differently).
 */
@Tag("slow")
class CheckpointFormatTest {

    @TempDir
    static Path dir;
    private static Path fixture;
    private static TrainConfig config;

    @BeforeAll
    static void data() throws IOException, URISyntaxException {
        fixture = Path.of(CheckpointFormatTest.class.getResource("checkpoint-be92c2b/e0001-i000002").toURI());
        SyntheticImageNet.generate(dir.resolve("data"), 3, 12, 4, 5); // the fixture's training data, as made
        Path yaml = dir.resolve("config.yaml");
        Files.copy(fixture.resolve(Checkpoint.CONFIG), yaml);
        config = TrainConfig.load(yaml, List.of("data.root='" + dir.resolve("data") + "'"));
    }

    @Test
    void loadingAndSavingAgainKeepsEveryTensorAndStateValue() throws IOException {
        Path run = dir.resolve("saved-again");
        RunSetup setup = RunSetup.create(config, run, Cluster.SINGLE_PROCESS);
        try (RunFolderLock lock = setup.lock(); NDManager m = NDManager.newBaseManager(Device.cpu());
                TrainStep step = setup.trainStep(config, Cluster.SINGLE_PROCESS)) {
            RunCheckpoints checkpoints = new RunCheckpoints(config, run, setup, Cluster.SINGLE_PROCESS);
            EpochMetrics metrics = new EpochMetrics();
            RunState state = checkpoints.begin(fixture, null, step, metrics);
            Checkpoint.Contents c = Checkpoint.read(fixture, m);
            Checkpoint.Contents again = Checkpoint.read(checkpoints.save(state, step, metrics, false), m);
            ExactResumeTest.assertBitwiseEqual(c.raw(), again.raw());
            ExactResumeTest.assertBitwiseEqual(c.ema(), again.ema());
            ExactResumeTest.assertBitwiseEqual(c.optimizer(), again.optimizer());
            assertEquals(c.state(), again.state());
        }
    }

    @Test
    void resumingInOneGoEqualsResumingTwice() throws IOException {
        Trainer.Summary straight = Trainer.builder(config, dir.resolve("straight")).optResumeFrom(fixture).build()
                .run();
        assertEquals(Trainer.Outcome.FINISHED, straight.outcome());

        Path twice = dir.resolve("twice");
        Trainer.Summary first = Trainer.builder(config, twice).optResumeFrom(fixture).optStopAfterStep(5).build().run();
        assertEquals(Trainer.Outcome.STOPPED, first.outcome());
        Trainer.Summary second = Trainer.builder(config, twice).build().run();
        assertEquals(Trainer.Outcome.FINISHED, second.outcome());

        assertEquals(Files.readString(dir.resolve("straight").resolve("metrics.csv")),
                Files.readString(twice.resolve("metrics.csv")));
        try (NDManager m = NDManager.newBaseManager(Device.cpu())) {
            Checkpoint.Contents x = Checkpoint.read(straight.lastCheckpoint(), m);
            Checkpoint.Contents y = Checkpoint.read(second.lastCheckpoint(), m);
            ExactResumeTest.assertBitwiseEqual(x.raw(), y.raw());
            ExactResumeTest.assertBitwiseEqual(x.ema(), y.ema());
            ExactResumeTest.assertBitwiseEqual(x.optimizer(), y.optimizer());
            assertEquals(x.state(), y.state());
        }
    }
}
