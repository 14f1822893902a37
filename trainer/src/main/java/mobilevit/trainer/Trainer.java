package mobilevit.trainer;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;

import mobilevit.data.pipeline.Batch;
import mobilevit.data.pipeline.Batches;
import mobilevit.data.pipeline.EvalLoader;
import mobilevit.data.pipeline.TrainLoader;
import mobilevit.evaluation.Evaluator;
import mobilevit.trainer.checkpoint.CheckpointStore;
import mobilevit.trainer.checkpoint.InitWeights;
import mobilevit.trainer.checkpoint.RunFolderLock;
import mobilevit.trainer.cluster.Cluster;
import mobilevit.trainer.config.TrainConfig;
import mobilevit.trainer.config.TrainSection;
import mobilevit.trainer.report.EpochMetrics;
import mobilevit.trainer.report.Progress;
import mobilevit.trainer.report.RunPlots;
import mobilevit.trainer.report.RunState;
import mobilevit.trainer.step.NonFiniteLossException;
import mobilevit.trainer.step.ReplicaGroup;
import mobilevit.trainer.step.TrainStep;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * MobileViT training as the paper's recipe does it: multi-scale batches over N replicas, AdamW,
 * label smoothing, warm-up then cosine, EMA, validation of raw and EMA weights every epoch, and
 * checkpoints from which a run resumes with exactly the next batch.
 *
 * <p>Across processes ({@link Builder#optCluster}): each process trains its replicas on its shards
 * of every batch (the sampler's table is that of all replicas together), every process validates
 * and restores alike, and rank 0 alone locks and writes the run folder (config, checkpoints,
 * metrics, log).
 */
public final class Trainer {

    private static final Logger LOG = LoggerFactory.getLogger(Trainer.class);

    /** How a run ended. */
    public enum Outcome { FINISHED, STOPPED }

    /** The end of a run: how it ended, its metrics, and its latest checkpoint. */
    public record Summary(Outcome outcome, List<EpochMetrics.Row> epochs, Path lastCheckpoint) {}

    private final TrainConfig cfg;
    private final Path output;
    private final Path resumeFrom;
    private final Path initWeights;
    private final Cluster cluster;
    private final long stopAtStep;
    private final AtomicBoolean stopRequested = new AtomicBoolean();

    private Trainer(Builder b) {
        cfg = b.cfg;
        output = b.output;
        resumeFrom = b.resumeFrom;
        initWeights = b.initWeights;
        cluster = b.cluster;
        stopAtStep = b.stopAtStep;
    }

    /** A trainer of {@code cfg} into the run folder {@code output} (config, checkpoints, metrics); a run there is resumed. */
    public static Builder builder(TrainConfig cfg, Path output) {
        return new Builder(cfg, output);
    }

    /** Asks the run to save a checkpoint and return after the step in progress (thread-safe). */
    public void requestStop() {
        stopRequested.set(true);
    }

    /** The checkpoint the run folder's {@code last.json} names now, if any (after a failure: what is still there). */
    public Optional<Path> lastCheckpoint() {
        return new CheckpointStore(output, 1).pointer(CheckpointStore.LAST);
    }

    /** Optimizer steps of the whole run. */
    public long plannedSteps() {
        return RunSetup.plannedSteps(cfg, cluster);
    }

    /** What a run works with between its epochs. */
    private record Run(RunSetup setup, TrainLoader loader, EvalLoader validation, TrainStep step, RunState state,
            EpochMetrics metrics, Progress progress, RunCheckpoints checkpoints) {}

    /**
     * Trains until the last epoch (or a stop request), resuming from the latest intact checkpoint.
     *
     * @throws NonFiniteLossException if the loss becomes NaN or infinite (nothing is saved)
     */
    public Summary run() throws IOException {
        RunSetup setup = RunSetup.create(cfg, output, cluster);
        TrainSection train = cfg.train();
        try (RunFolderLock lock = setup.lock(); // null on ranks other than 0
                TrainLoader loader = setup.trainLoader(cfg, cluster, writer() ? output : null);
                EvalLoader validation = setup.validation(cfg);
                TrainStep step = setup.trainStep(cfg, cluster)) {
            Run run = start(setup, loader, validation, step);
            RunState state = run.state;
            Path last = null;
            while (state.epoch() < train.epochs()) {
                Optional<Path> stoppedAt = trainEpoch(run);
                if (stoppedAt.isPresent()) {
                    LOG.info("stopped after step {}; resume with the same command", state.step());
                    return new Summary(Outcome.STOPPED, run.metrics.rows(), stoppedAt.get());
                }
                boolean best = validate(run);
                state.nextEpoch();
                last = run.checkpoints.save(state, step, run.metrics, best);
                writeMetrics(run.metrics);
                if (writer()) {
                    RunPlots.write(output, output.resolve("plots"));
                }
                if (stopAsked(state) && state.epoch() < train.epochs()) {
                    LOG.info("stopped after epoch {}; resume with the same command", state.epoch());
                    return new Summary(Outcome.STOPPED, run.metrics.rows(), last);
                }
            }
            LOG.info("finished: {} epochs, best EMA top-1 {}", train.epochs(),
                    String.format("%.2f", run.metrics.bestEmaTop1()));
            return new Summary(Outcome.FINISHED, run.metrics.rows(), last);
        }
    }

    /**
     * The rest of the current epoch, one micro-batch per iteration ({@link TrainStep} closes the
     * accumulation windows); checkpoints and stops only between optimizer steps. Returns the
     * checkpoint of a stop before the epoch's end, or empty when the epoch finished.
     */
    private Optional<Path> trainEpoch(Run run) throws IOException {
        RunState state = run.state;
        TrainStep step = run.step;
        int iterations = run.setup.sampler().iterations(state.epoch());
        try (Batches batches = run.loader.epoch(state.epoch(), state.iteration())) {
            while (batches.hasNext()) {
                try (Batch batch = batches.next()) { // its buffers go back to the loader
                    double lr = run.setup.schedule().at(state.step(), state.epoch());
                    TrainStep.Result r = step.train((replica, scope) -> new NDList(batch.images(scope, replica),
                            batch.labels(scope, replica)), lr);
                    boolean epochEnd = batch.iteration() + 1 == iterations;
                    if (epochEnd) {
                        r = step.closeEpoch(r, lr);
                    }
                    state.count(batch.iteration() + 1, r, cluster.sum(batch.skipped().size()), lr);
                    if (run.progress != null) {
                        run.progress.iteration(state, iterations, r, lr, batch.waitNanos());
                    }
                    if (epochEnd || !step.atUpdateBoundary()) {
                        continue;
                    }
                    boolean stop = stopAsked(state);
                    if (stop || (r.updated() && cfg.train().isCheckpointStep(state.step()))) {
                        Path saved = run.checkpoints.save(state, step, run.metrics, false);
                        if (stop) {
                            return Optional.of(saved);
                        }
                    }
                }
            }
        }
        return Optional.empty();
    }

    /** Validates the raw and EMA weights and records the epoch's row; returns whether the EMA is the best yet. */
    private boolean validate(Run run) {
        ReplicaGroup replicas = run.step.replicas();
        try (NDManager scratch = NDManager.newBaseManager(replicas.masterDevice())) {
            Evaluator.Result val = Evaluator.evaluate(run.validation, Map.of("raw", replicas.master(), "ema",
                    run.step.ema().model()), cfg.model().numClasses(), scratch,
                    writer() ? output.resolve("skipped-val.txt") : null, Evaluator.Progress.NONE);
            EpochMetrics.Row row = run.state.row(run.setup.sampler().iterations(run.state.epoch()),
                    val.accuracy().get("raw"), val.accuracy().get("ema"), val.skipped());
            boolean best = row.emaTop1() > run.metrics.bestEmaTop1();
            run.metrics.add(row);
            if (run.progress != null) {
                run.progress.epoch(run.state, row, val.imagesPerSecond());
            }
            return best;
        }
    }

    /** Restores the latest checkpoint (or the initial weights of a fresh run) and logs what the run is. */
    private Run start(RunSetup setup, TrainLoader loader, EvalLoader validation, TrainStep step) throws IOException {
        EpochMetrics metrics = new EpochMetrics();
        RunCheckpoints checkpoints = new RunCheckpoints(cfg, output, setup, cluster);
        RunState state = checkpoints.begin(resumeFrom, initWeights, step, metrics);
        writeMetrics(metrics);
        Progress progress = writer() ? new Progress(output.resolve("log.jsonl"), cfg.train().logEvery(),
                cfg.train().epochs(), setup.sampler(), step.lossScaler()) : null;
        setup.describe(cfg, output, cluster);
        return new Run(setup, loader, validation, step, state, metrics, progress, checkpoints);
    }

    /** Whether any process was asked to stop, or the run reached the step it should stop after. */
    private boolean stopAsked(RunState state) {
        return cluster.any(stopRequested.get()) || state.step() == stopAtStep;
    }

    /** Whether this process writes the run folder (rank 0). */
    private boolean writer() {
        return cluster.rank() == 0;
    }

    private void writeMetrics(EpochMetrics metrics) throws IOException {
        if (writer()) {
            metrics.writeCsv(output.resolve("metrics.csv"));
        }
    }

    /** Builds a {@link Trainer}: everything a run is told before it starts. */
    public static final class Builder {
        private final TrainConfig cfg;
        private final Path output;
        private Path resumeFrom;
        private Path initWeights;
        private Cluster cluster = Cluster.SINGLE_PROCESS;
        private long stopAtStep = -1;

        private Builder(TrainConfig cfg, Path output) {
            this.cfg = cfg;
            this.output = output;
        }

        /** Resumes from this checkpoint (or run folder) instead of the run folder's latest. */
        public Builder optResumeFrom(Path checkpoint) {
            this.resumeFrom = checkpoint;
            return this;
        }

        /** Makes a fresh run start from the weights in {@code file} that fit ({@link InitWeights}); a resumed run ignores it. */
        public Builder optInitWeights(Path file) {
            this.initWeights = file;
            return this;
        }

        /** Trains together with the other processes of {@code cluster} (default: this process alone). */
        public Builder optCluster(Cluster cluster) {
            this.cluster = cluster;
            return this;
        }

        /** Makes the run save a checkpoint and stop once {@code step} optimizer steps are done. */
        public Builder optStopAfterStep(long step) {
            this.stopAtStep = step;
            return this;
        }

        public Trainer build() {
            return new Trainer(this);
        }
    }
}
