package mobilevit.trainer;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;

import com.google.gson.JsonObject;

import mobilevit.data.SyntheticImageNet;
import mobilevit.model.StateDict;

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
        Path copy = dir.resolve("saved-again");
        try (NDManager m = NDManager.newBaseManager(Device.cpu());
                TrainStep step = TrainStep.builder(List.of(Device.cpu()), config.model().builder())
                        .optEma(config.train().emaMomentum()).optPrecision(config.train().precision())
                        .optAccumulation(config.train().accumFreq()).build()) {
            Checkpoint.Contents c = Checkpoint.read(fixture, m);
            c.loadWeights(step.replicas().master(), Checkpoint.Weights.RAW);
            c.loadWeights(step.ema().model(), Checkpoint.Weights.EMA);
            step.optimizer().load(c.optimizer(), RunState.number(c.state(), "optimizer_steps").longValue(),
                    step.replicas().masterState());
            step.lossScaler().load(c.state().getAsJsonObject("loss_scaler"));
            RunState state = RunState.fromJson(c.state());
            JsonObject json = state.toJson(config.train().seed());
            json.addProperty("optimizer_steps", step.optimizer().steps());
            json.addProperty("variant", config.model().variant().id());
            json.addProperty("num_classes", config.model().numClasses());
            json.addProperty("replicas", step.replicas().globalSize());
            json.addProperty("accum_freq", config.train().accumFreq());
            json.add("metrics", EpochMetrics.fromJson(c.state().getAsJsonArray("metrics")).toJson());
            json.add("classes", c.state().get("classes"));
            json.add("train_data", c.state().get("train_data"));
            json.add("loss_scaler", step.lossScaler().toJson());
            Checkpoint.write(copy, StateDict.export(step.replicas().master(), m), StateDict.export(step.ema().model(), m),
                    step.optimizer().stateTensors(step.replicas().masterState(), m), json, c.configYaml());

            Checkpoint.Contents again = Checkpoint.read(copy, m);
            ExactResumeTest.assertBitwiseEqual(c.raw(), again.raw());
            ExactResumeTest.assertBitwiseEqual(c.ema(), again.ema());
            ExactResumeTest.assertBitwiseEqual(c.optimizer(), again.optimizer());
            assertEquals(c.state(), again.state());
            assertEquals(c.configYaml(), again.configYaml());
        }
    }

    @Test
    void resumingInOneGoEqualsResumingTwice() throws IOException {
        Trainer.Summary straight = new Trainer(config, dir.resolve("straight"), fixture).run();
        assertEquals(Trainer.Outcome.FINISHED, straight.outcome());

        Path twice = dir.resolve("twice");
        Trainer.Summary first = new Trainer(config, twice, fixture).stopAfterStep(5).run();
        assertEquals(Trainer.Outcome.STOPPED, first.outcome());
        Trainer.Summary second = new Trainer(config, twice, null).run();
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
