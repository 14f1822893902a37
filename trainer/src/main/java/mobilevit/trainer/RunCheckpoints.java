package mobilevit.trainer;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;

import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;

import mobilevit.core.IoFailures;
import mobilevit.trainer.checkpoint.Checkpoint;
import mobilevit.trainer.checkpoint.CheckpointStore;
import mobilevit.trainer.checkpoint.CorruptCheckpointException;
import mobilevit.trainer.checkpoint.InitWeights;
import mobilevit.trainer.checkpoint.TrainData;
import mobilevit.trainer.cluster.Cluster;
import mobilevit.trainer.config.ConfigException;
import mobilevit.trainer.config.TrainConfig;
import mobilevit.trainer.report.EpochMetrics;
import mobilevit.trainer.report.RunState;
import mobilevit.trainer.step.TrainStep;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * A run's checkpoints as its parts make them: a save asks every stateful part for its state
 * ({@link TrainStep#state}, {@link RunState}, {@link EpochMetrics}, the model section, the training
 * data's fingerprint) and hands it to {@link Checkpoint}; a resume gives each part its own back,
 * after checking that every process found the same checkpoint of the same data. Rank 0 alone
 * writes.
 */
final class RunCheckpoints {

    private static final Logger LOG = LoggerFactory.getLogger(RunCheckpoints.class);

    private final TrainConfig cfg;
    private final Path output;
    private final RunSetup setup;
    private final Cluster cluster;

    RunCheckpoints(TrainConfig cfg, Path output, RunSetup setup, Cluster cluster) {
        this.cfg = cfg;
        this.output = output;
        this.setup = setup;
        this.cluster = cluster;
    }

    /**
     * Where the run begins: the latest intact checkpoint (of {@code resumeFrom}, or of the run
     * folder when it is null) restored into {@code step} and {@code metrics}; without one, a fresh
     * run, from the weights of {@code initWeights} that fit when it is given.
     */
    RunState begin(Path resumeFrom, Path initWeights, TrainStep step, EpochMetrics metrics) throws IOException {
        Optional<RunState> resumed = restore(resumeFrom, step, metrics);
        if (resumed.isEmpty() && initWeights != null) {
            InitWeights.apply(initWeights, step.replicas().master(), step.ema().model());
            step.replicas().broadcast();
        } else if (initWeights != null) {
            LOG.info("the run resumes from its checkpoint and ignores --init-weights {}", initWeights);
        }
        return resumed.orElseGet(RunState::new);
    }

    private Optional<RunState> restore(Path resumeFrom, TrainStep step, EpochMetrics metrics) throws IOException {
        try (NDManager scratch = NDManager.newBaseManager(Device.cpu())) {
            Optional<Checkpoint.Contents> found = resumeFrom != null
                    ? Optional.of(Checkpoint.read(CheckpointStore.resolve(resumeFrom), scratch))
                    : setup.store().latestIntact(scratch);
            if (cluster.any(found.isPresent()) != found.isPresent()) {
                throw new CorruptCheckpointException("some processes found a checkpoint to resume and others none:"
                        + " every process must see the same run folder (a shared file system)");
            }
            if (found.isEmpty()) {
                return Optional.empty();
            }
            Checkpoint.Contents c = found.get();
            warnAboutConfigChanges(c);
            try {
                TrainData.check(c.dir(), c.state(), setup.trainSet().fingerprint(),
                        RunSetup.dataRoot(cfg).resolve("train"), cfg.data().allowChangedData());
                RunState state = RunState.fromJson(c.state());
                step.restore(c);
                EpochMetrics.restore(c.state()).rows().forEach(metrics::add);
                agreeOnResume(c, state);
                checkIteration(state);
                LOG.info("resuming from {}: epoch {}, iteration {}, step {}", c.dir(), state.epoch() + 1,
                        state.iteration(), state.step());
                return Optional.of(state);
            } catch (IllegalArgumentException | IllegalStateException | JsonParseException e) {
                throw new CorruptCheckpointException(c.dir() + " cannot be resumed: " + e.getMessage());
            }
        }
    }

    /**
     * Saves a checkpoint of where the run stands (rank 0; the other ranks only name it), pointing
     * {@code best.json} at it when {@code best}.
     */
    Path save(RunState state, TrainStep step, EpochMetrics metrics, boolean best) throws IOException {
        CheckpointStore store = setup.store();
        Path dir = store.dir().resolve(CheckpointStore.name(state.epoch(), state.iteration()));
        if (cluster.rank() != 0) {
            return dir;
        }
        try (NDManager scratch = NDManager.newBaseManager(Device.cpu())) {
            JsonObject json = state.toJson(cfg.train().seed());
            Checkpoint.Tensors tensors = step.state(scratch, json);
            cfg.model().export(json);
            metrics.export(json);
            TrainData.record(json, setup.trainSet().fingerprint());
            String configYaml = cfg.toYaml();
            return store.save(state.epoch(), state.iteration(), d -> Checkpoint.write(d, tensors, json, configYaml),
                    best);
        } catch (IOException e) {
            throw new IOException("checkpoint " + dir + " not saved (" + IoFailures.reason(e) + ")", e);
        }
    }

    /** A checkpoint that stopped mid-epoch must stop at an iteration the config's epoch has. */
    private void checkIteration(RunState state) {
        if (state.epoch() < cfg.train().epochs() && state.iteration() > setup.sampler().iterations(state.epoch())) {
            throw new ConfigException("the checkpoint stopped at iteration " + state.iteration() + " of epoch "
                    + (state.epoch() + 1) + ", which has " + setup.sampler().iterations(state.epoch()) + " iterations with"
                    + " this configuration (train.batch_size, the sampler.* keys, train.devices or the data changed):"
                    + " resume with the run's own config.yaml");
        }
    }

    /** Every process must have resumed the same step (the same run folder, seen alike by every node). */
    private void agreeOnResume(Checkpoint.Contents c, RunState state) {
        double[] steps = cluster.gather(new double[] {state.step()});
        for (int r = 0; r < steps.length; r++) {
            if (steps[r] != state.step()) {
                throw new IllegalStateException("rank " + r + " resumed step " + (long) steps[r] + ", rank "
                        + cluster.rank() + " step " + state.step() + " from " + c.dir()
                        + ": every process must see the same run folder (a shared file system)");
            }
        }
    }

    private void warnAboutConfigChanges(Checkpoint.Contents c) {
        TrainConfig saved;
        try {
            saved = TrainConfig.fromYaml(c.configYaml());
        } catch (RuntimeException e) {
            LOG.warn("the configuration saved in {} cannot be read ({}); using the given one", c.dir(), e.getMessage());
            return;
        }
        warnAboutEditedConfigFile(c, saved);
        List<String> changed = saved.differences(cfg);
        if (!changed.isEmpty()) {
            LOG.warn("resuming with a configuration that differs from the checkpoint's in {}; the run will not"
                    + " continue exactly as it would have", changed);
        }
    }

    /**
     * The run folder's config.yaml is what the run was started with, rewritten at every start from
     * --config and --set: an edit to it is not used, and is lost. Says so when the file differed
     * from the checkpoint's copy.
     */
    private void warnAboutEditedConfigFile(Checkpoint.Contents c, TrainConfig saved) {
        String edited = setup.editedConfig();
        if (edited == null || edited.equals(c.configYaml())) {
            return;
        }
        String keys;
        try {
            keys = " in " + saved.differences(TrainConfig.fromYaml(edited));
        } catch (RuntimeException e) {
            keys = "";
        }
        LOG.warn("{} differed from the configuration of {}{}: edits to it are not used (it is rewritten from --config"
                + " and --set at every start); change a setting with --set KEY=VALUE", output.resolve("config.yaml"),
                c.dir().getFileName(), keys);
    }
}
