package mobilevit.trainer;

import ai.djl.Device;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.jni.JniUtils;

import com.google.gson.JsonObject;

import mobilevit.core.AtomicFiles;
import mobilevit.core.IoFailures;
import mobilevit.data.codec.JpegDecoder;
import mobilevit.data.dataset.ImageFolder;
import mobilevit.data.dataset.RestartMarkedCopy;
import mobilevit.data.pipeline.Batch;
import mobilevit.data.pipeline.Batches;
import mobilevit.data.pipeline.EvalLoader;
import mobilevit.data.pipeline.EvalTransform;
import mobilevit.data.pipeline.MultiScaleSampler;
import mobilevit.data.pipeline.ScaleTable;
import mobilevit.data.pipeline.TrainLoader;
import mobilevit.data.pipeline.TrainTransform;
import mobilevit.evaluation.Accuracy;
import mobilevit.evaluation.Evaluator;
import mobilevit.model.Devices;
import mobilevit.model.MobileViT;
import mobilevit.model.StateDict;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Pattern;

/**
 * MobileViT training as the paper's recipe does it: multi-scale batches over N replicas, AdamW,
 * label smoothing, warm-up then cosine, EMA, validation of raw and EMA weights every epoch, and
 * checkpoints from which a run resumes with exactly the next batch.
 *
 * <p>Across processes ({@link #cluster}): each process trains its replicas on its shards of every
 * batch (the sampler's table is that of all replicas together), every process validates and
 * restores alike, and rank 0 alone locks and writes the run folder (config, checkpoints, metrics,
 * log).
 */
public final class Trainer {

    private static final Logger LOG = LoggerFactory.getLogger(Trainer.class);
    /** Temporary files of whole-file writes into the run folder (metrics.csv, ...) that a killed run left. */
    private static final Pattern RUN_LEFTOVER = Pattern.compile(
            "\\.(metrics\\.csv|config\\.yaml|skipped-.+\\.txt)\\.\\d+\\.tmp");

    /** The loss scaler's entry of state.json (fp16 runs). */
    private static final String LOSS_SCALER = "loss_scaler";

    /** How a run ended. */
    public enum Outcome { FINISHED, STOPPED }

    /** The end of a run: how it ended, its metrics, and its latest checkpoint. */
    public record Summary(Outcome outcome, List<EpochMetrics.Row> epochs, Path lastCheckpoint) {}

    private final TrainConfig cfg;
    private final Path output;
    private final Path resumeFrom;
    private final AtomicBoolean stopRequested = new AtomicBoolean();
    private long stopAtStep = -1;
    private Path initWeights;
    private Cluster cluster = Cluster.SINGLE_PROCESS;
    /** The run folder's config.yaml as it was found, before this run rewrote it (null if there was none). */
    private String editedConfig;

    /**
     * @param output run folder (config, checkpoints, metrics); a run there is resumed
     * @param resumeFrom a checkpoint (or run folder) to resume from instead of {@code output}'s; may be null
     */
    public Trainer(TrainConfig cfg, Path output, Path resumeFrom) {
        this.cfg = cfg;
        this.output = output;
        this.resumeFrom = resumeFrom;
    }

    /** Trains together with the other processes of {@code cluster} (default: this process alone). */
    public Trainer cluster(Cluster cluster) {
        this.cluster = cluster;
        return this;
    }

    /** Whether this process writes the run folder (rank 0). */
    private boolean writer() {
        return cluster.rank() == 0;
    }

    /** Asks the run to save a checkpoint and return after the step in progress (thread-safe). */
    public void requestStop() {
        stopRequested.set(true);
    }

    /** The checkpoint the run folder's {@code last.json} names now, if any (after a failure: what is still there). */
    public Optional<Path> lastCheckpoint() {
        return new CheckpointStore(output, 1).pointer(CheckpointStore.LAST);
    }

    /** Makes the run save a checkpoint and stop once {@code step} optimizer steps are done. */
    public Trainer stopAfterStep(long step) {
        this.stopAtStep = step;
        return this;
    }

    /** Makes a fresh run start from the weights in {@code file} that fit ({@link InitWeights}); a resumed run ignores it. */
    public Trainer initWeights(Path file) {
        this.initWeights = file;
        return this;
    }

    /** What a run works with, set up once. */
    private record Setup(ImageFolder trainSet, ImageFolder valSet, MultiScaleSampler sampler,
            TrainTransform augmentation, MobileViT.Builder model, List<Device> devices,
            LearningRate schedule, long totalSteps, CheckpointStore store, RunFolderLock lock) {}

    /**
     * Trains until the last epoch (or a stop request), resuming from the latest intact checkpoint.
     *
     * @throws NonFiniteLossException if the loss becomes NaN or infinite (nothing is saved)
     */
    public Summary run() throws IOException {
        Setup setup = setUp();
        int localReplicas = setup.devices.size();
        DataSection data = cfg.data();
        TrainSection train = cfg.train();
        OptimSection optim = cfg.optim();
        try (setup.lock; // null on ranks other than 0
                TrainLoader loader = new TrainLoader(setup.trainSet, setup.sampler, setup.augmentation, data.workers(),
                        data.prefetch(), train.seed()).skippedListFolder(writer() ? output : null)
                        .localShards(cluster.rank() * localReplicas, localReplicas);
                EvalLoader validation = new EvalLoader(setup.valSet, new EvalTransform(cfg.eval().resize(),
                        cfg.eval().crop(), data.interpolation(), JpegDecoder.best(), data.pixelLimit()),
                        cfg.eval().batchSize(), data.workers(), data.prefetch());
                TrainStep step = TrainStep.builder(setup.devices, setup.model).optSeed(train.seed())
                        .optLabelSmoothing(train.labelSmoothing())
                        .optAdamW(optim.beta1(), optim.beta2(), optim.eps(), optim.weightDecay())
                        .optEma(train.emaMomentum()).optAccumulation(train.accumFreq()).optCluster(cluster)
                        .optPrecision(train.precision()).optMemoryFormat(train.memoryFormat()).build()) {
            EpochMetrics metrics = new EpochMetrics();
            Optional<RunState> resumed = restore(setup, step, metrics);
            if (resumed.isEmpty() && initWeights != null) {
                InitWeights.apply(initWeights, step.replicas().master(), step.ema().model());
                step.replicas().broadcast();
            } else if (initWeights != null) {
                LOG.info("the run resumes from its checkpoint and ignores --init-weights {}", initWeights);
            }
            RunState state = resumed.orElseGet(RunState::new);
            if (state.epoch < train.epochs() && state.iteration > setup.sampler.iterations(state.epoch)) {
                throw new ConfigException("the checkpoint stopped at iteration " + state.iteration + " of epoch "
                        + (state.epoch + 1) + ", which has " + setup.sampler.iterations(state.epoch) + " iterations with"
                        + " this configuration (train.batch_size, the sampler.* keys, train.devices or the data changed):"
                        + " resume with the run's own config.yaml");
            }
            writeMetrics(metrics);
            Progress progress = writer() ? new Progress(output.resolve("log.jsonl"), train.logEvery(), train.epochs(),
                    setup.sampler, step.lossScaler()) : null;
            LOG.info("training MobileViT-{} on {} ({} replica(s){}), {} training / {} validation images, {} classes,"
                    + " {} epochs = {} steps; run folder {}", cfg.model().variant(), train.devices(), setup.sampler.replicas(),
                    cluster.size() > 1 ? " in " + cluster.size() + " processes, this is rank " + cluster.rank() : "",
                    setup.trainSet.size(), setup.valSet.size(), cfg.model().numClasses(), train.epochs(), setup.totalSteps,
                    output);
            // only where loading speed matters (not for the demo's few hundred images)
            if (writer() && setup.trainSet.size() >= 10_000 && RestartMarkedCopy.wouldHelp(setup.trainSet)) {
                LOG.info("{} has no restart markers in its JPEGs: a copy made once by `launch/mobilevit transcode "
                        + "--input DATA --output COPY` has the same pixels and loads faster (docs/jpeg-decoding.md)",
                        setup.trainSet.root());
            }
            Path last = null;
            while (state.epoch < train.epochs()) {
                int epoch = state.epoch;
                Optional<Path> stoppedAt = trainEpoch(setup, loader, step, state, progress, metrics);
                if (stoppedAt.isPresent()) {
                    LOG.info("stopped after step {}; resume with the same command", state.step);
                    return new Summary(Outcome.STOPPED, metrics.rows(), stoppedAt.get());
                }
                boolean best = validate(setup, validation, step, state, progress, metrics);
                state.nextEpoch();
                last = save(setup, state, step, metrics, best);
                writeMetrics(metrics);
                if (writer()) {
                    RunPlots.write(output, output.resolve("plots"));
                }
                if ((cluster.any(stopRequested.get()) || state.step == stopAtStep) && state.epoch < train.epochs()) {
                    LOG.info("stopped after epoch {}; resume with the same command", epoch + 1);
                    return new Summary(Outcome.STOPPED, metrics.rows(), last);
                }
            }
            LOG.info("finished: {} epochs, best EMA top-1 {}", train.epochs(), String.format("%.2f", metrics.bestEmaTop1()));
            return new Summary(Outcome.FINISHED, metrics.rows(), last);
        }
    }

    private Setup setUp() throws IOException {
        Path root = dataRoot();
        List<Device> devices = devices();
        int cores = Runtime.getRuntime().availableProcessors();
        int threads = intraOpThreads(devices, cores);
        if (threads > 0) {
            JniUtils.setNumThreads(threads);
        }
        if (threads > 0 && cfg.train().threads() == 0) {
            LOG.info("{} PyTorch intra-op thread(s) per CPU replica (train.threads 0: of {} cores, one is left to the"
                    + " data loaders)", threads, cores);
        }
        ImageFolder trainSet = ImageFolder.open(root.resolve("train"));
        ImageFolder valSet = ImageFolder.open(root.resolve("val"));
        checkClasses(trainSet, valSet);
        MultiScaleSampler sampler = sampler(trainSet, devices.size() * cluster.size());
        TrainTransform augmentation = new TrainTransform(cfg.data().randomCrop(), cfg.data().interpolation(),
                TrainTransform.Decoding.REGION, JpegDecoder.best(), cfg.data().pixelLimit());
        MobileViT.Builder model = cfg.model().builder();
        long totalSteps = steps(sampler);
        ScheduleSection s = cfg.schedule();
        LearningRate schedule = new LearningRate(cfg.optim().lr(), s.minLr(), s.warmupInitLr(), s.warmupIterations(),
                s.mode(), cfg.train().epochs(), totalSteps - 1);
        CheckpointStore store = new CheckpointStore(output, cfg.train().keepCheckpoints());
        RunFolderLock lock = writer() ? claimRunFolder(store) : null;
        return new Setup(trainSet, valSet, sampler, augmentation, model, devices, schedule, totalSteps, store, lock);
    }

    /**
     * Creates and locks the run folder, then writes its config.yaml and deletes what interrupted
     * runs left: nothing in the folder is touched before the lock is held (rank 0 only).
     */
    private RunFolderLock claimRunFolder(CheckpointStore store) throws IOException {
        Files.createDirectories(output);
        RunFolderLock lock = RunFolderLock.acquire(output);
        try {
            Path configFile = output.resolve("config.yaml");
            editedConfig = Files.isRegularFile(configFile) ? Files.readString(configFile) : null;
            AtomicFiles.writeString(configFile, cfg.toYaml());
            int leftovers = store.removeLeftovers() + Leftovers.remove(output, RUN_LEFTOVER)
                    + RunPlots.removeLeftovers(output.resolve("plots"));
            if (leftovers > 0) {
                LOG.info("removed {} temporary file(s) or folder(s) left by an interrupted run", leftovers);
            }
            return lock;
        } catch (IOException | RuntimeException e) {
            lock.close();
            throw e;
        }
    }

    /**
     * The rest of the current epoch, one micro-batch per iteration; the optimizer steps after every
     * {@code train.accum_freq} of them and after the epoch's last. Checkpoints and stops happen only
     * between optimizer steps.
     *
     * @return the checkpoint of a stop before the epoch's end, or empty when the epoch finished
     */
    private Optional<Path> trainEpoch(Setup setup, TrainLoader loader, TrainStep step, RunState state,
            Progress progress, EpochMetrics metrics) throws IOException {
        int epoch = state.epoch;
        int iterations = setup.sampler.iterations(epoch);
        try (Batches batches = loader.epoch(epoch, state.iteration)) {
            while (batches.hasNext()) {
                try (Batch batch = batches.next()) { // its buffers go back to the loader
                    double lr = setup.schedule.at(state.step, epoch);
                    TrainStep.Result r = step.train((replica, scope) -> new NDList(batch.images(scope, replica),
                            batch.labels(scope, replica)), lr);
                    state.iteration = batch.iteration() + 1;
                    boolean epochEnd = state.iteration == iterations;
                    boolean updated = r.updated();
                    if (epochEnd && !step.atUpdateBoundary()) {
                        step.update(lr); // the epoch's last, shorter window
                        updated = true;
                    }
                    if (updated) {
                        state.step++;
                    }
                    if (r.images() > 0) { // none when an fp16 step's loss was not finite (a skipped step)
                        state.epochLossSum += r.loss() * r.images();
                    }
                    state.epochImages += r.images();
                    state.epochSkipped += cluster.sum(batch.skipped().size());
                    state.lastLr = lr;
                    if (progress != null) {
                        progress.iteration(state, iterations, r, lr, batch.waitNanos());
                    }
                    if (epochEnd || !step.atUpdateBoundary()) {
                        continue;
                    }
                    boolean stop = cluster.any(stopRequested.get()) || state.step == stopAtStep;
                    int every = cfg.train().checkpointEvery();
                    if (stop || (every > 0 && updated && state.step % every == 0)) {
                        Path saved = save(setup, state, step, metrics, false);
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
    private boolean validate(Setup setup, EvalLoader validation, TrainStep step, RunState state, Progress progress,
            EpochMetrics metrics) {
        try (NDManager scratch = NDManager.newBaseManager(step.replicas().masterDevice())) {
            Evaluator.Result val = Evaluator.evaluate(validation,
                    Map.of("raw", step.replicas().master(), "ema", step.ema().model()), cfg.model().numClasses(), scratch,
                    writer() ? output.resolve("skipped-val.txt") : null, null);
            Accuracy raw = val.accuracy().get("raw");
            Accuracy avg = val.accuracy().get("ema");
            boolean best = avg.top1() > metrics.bestEmaTop1();
            metrics.add(new EpochMetrics.Row(state.epoch + 1, setup.sampler.iterations(state.epoch), state.epochImages,
                    state.epochLossSum / Math.max(1, state.epochImages), state.lastLr, raw.top1(), raw.top5(),
                    avg.top1(), avg.top5(), state.epochSkipped, val.skipped()));
            if (progress != null) {
                progress.epoch(state, metrics.rows().get(metrics.rows().size() - 1), val.imagesPerSecond());
            }
            return best;
        }
    }

    private Path dataRoot() {
        if (cfg.data().root() == null) {
            throw new ConfigException("data.root is not set (give --data DIR or set data.root)");
        }
        return Path.of(cfg.data().root());
    }

    /** This process's devices: train.devices, refused when it names GPUs the machine lacks. */
    private List<Device> devices() {
        try {
            return Devices.parse(cfg.train().devices());
        } catch (IllegalArgumentException e) {
            throw new ConfigException("train.devices: " + e.getMessage());
        }
    }

    /**
     * PyTorch's intra-op threads: {@code train.threads}, or with 0 on CPU replicas one core left to
     * the data loaders and the rest shared by the replicas (at least one each); 0 (PyTorch's
     * default) on GPUs. PyTorch's own default, every core, oversubscribes the CPU as soon as the
     * loaders or another process want a core: its OpenMP threads wait for each other at every
     * parallel region, and on 2 cores beside one busy process a run took about 3x as long as with one
     * thread (docs/training.md, Training threads).
     */
    int intraOpThreads(List<Device> devices, int cores) {
        if (cfg.train().threads() > 0 || devices.stream().anyMatch(Device::isGpu)) {
            return cfg.train().threads();
        }
        return Math.max(1, (cores - 1) / devices.size());
    }

    private MultiScaleSampler sampler(ImageFolder trainSet, int replicas) {
        SamplerSection s = cfg.sampler();
        return MultiScaleSampler.of(ScaleTable.Params.square(s.baseSize(), s.minSize(), s.maxSize(), s.numScales(),
                s.divisibleBy(), cfg.train().batchSize(), replicas), trainSet.size(), cfg.train().seed());
    }

    /** Optimizer steps: per epoch, its iterations in windows of {@code train.accum_freq}, the last one shorter. */
    private long steps(MultiScaleSampler sampler) {
        long total = 0;
        int accumFreq = cfg.train().accumFreq();
        for (int e = 0; e < cfg.train().epochs(); e++) {
            total += (sampler.iterations(e) + accumFreq - 1) / accumFreq;
        }
        return total;
    }

    /** Optimizer steps of the whole run. */
    public long plannedSteps() {
        return steps(sampler(ImageFolder.open(dataRoot().resolve("train")), devices().size() * cluster.size()));
    }

    private void checkClasses(ImageFolder train, ImageFolder val) {
        if (!train.classes().equals(val.classes())) {
            throw new ConfigException("train/ and val/ of " + cfg.data().root() + " have different class folders ("
                    + train.classes().size() + " and " + val.classes().size() + ")");
        }
        if (train.classes().size() > cfg.model().numClasses()) {
            throw new ConfigException(cfg.data().root() + " has " + train.classes().size()
                    + " classes but model.num_classes is " + cfg.model().numClasses());
        }
    }

    /** Restores the latest intact checkpoint (of {@code resumeFrom} or the run folder), if there is one. */
    private Optional<RunState> restore(Setup setup, TrainStep step, EpochMetrics metrics)
            throws IOException {
        CheckpointStore store = setup.store;
        try (NDManager scratch = NDManager.newBaseManager(Device.cpu())) {
            Optional<Checkpoint.Contents> found;
            if (resumeFrom != null) {
                found = Optional.of(Checkpoint.read(CheckpointStore.resolve(resumeFrom), scratch));
            } else {
                found = store.latestIntact(scratch);
            }
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
                TrainData.check(c.dir(), c.state(), setup.trainSet.fingerprint(), dataRoot().resolve("train"),
                        cfg.data().allowChangedData());
                ReplicaGroup replicas = step.replicas();
                c.loadWeights(replicas.master(), Checkpoint.Weights.RAW);
                c.loadWeights(step.ema().model(), Checkpoint.Weights.EMA);
                RunState state = RunState.fromJson(c.state());
                step.optimizer().load(c.optimizer(), RunState.number(c.state(), "optimizer_steps").longValue(),
                        replicas.masterState());
                if (!c.state().has("metrics") || !c.state().get("metrics").isJsonArray()) {
                    throw new IllegalArgumentException("state.json: 'metrics' is missing or not a list");
                }
                if (step.lossScaler() != null && c.state().has(LOSS_SCALER)) {
                    step.lossScaler().load(c.state().getAsJsonObject(LOSS_SCALER));
                }
                EpochMetrics saved = EpochMetrics.fromJson(c.state().getAsJsonArray("metrics"));
                saved.rows().forEach(metrics::add);
                replicas.broadcast();
                agreeOnResume(c, state);
                warnAboutReplicaChange(c, replicas.globalSize());
                LOG.info("resuming from {}: epoch {}, iteration {}, step {}", c.dir(), state.epoch + 1, state.iteration,
                        state.step);
                return Optional.of(state);
            } catch (IllegalArgumentException | IllegalStateException | com.google.gson.JsonParseException e) {
                throw new CorruptCheckpointException(c.dir() + " cannot be resumed: " + e.getMessage());
            }
        }
    }

    /** Every process must have resumed the same step (the same run folder, seen alike by every node). */
    private void agreeOnResume(Checkpoint.Contents c, RunState state) {
        double[] steps = cluster.gather(new double[] {state.step});
        for (int r = 0; r < steps.length; r++) {
            if (steps[r] != state.step) {
                throw new IllegalStateException("rank " + r + " resumed step " + (long) steps[r] + ", rank "
                        + cluster.rank() + " step " + state.step + " from " + c.dir()
                        + ": every process must see the same run folder (a shared file system)");
            }
        }
    }

    /**
     * A checkpoint written with another number of replicas (processes x replicas per process) is
     * resumed with a warning: the sampler's batch table and the shards change from there on.
     */
    private void warnAboutReplicaChange(Checkpoint.Contents c, int replicas) {
        if (c.state().has("replicas") && c.state().get("replicas").isJsonPrimitive()
                && c.state().get("replicas").getAsInt() != replicas) {
            LOG.warn("{} was written by {} replica(s), this run has {}: the batch table and the data shards change,"
                    + " so the run will not continue exactly as it would have", c.dir(),
                    c.state().get("replicas").getAsInt(), replicas);
        }
    }

    private void writeMetrics(EpochMetrics metrics) throws IOException {
        if (writer()) {
            metrics.writeCsv(output.resolve("metrics.csv"));
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
        if (editedConfig == null || editedConfig.equals(c.configYaml())) {
            return;
        }
        String keys;
        try {
            keys = " in " + saved.differences(TrainConfig.fromYaml(editedConfig));
        } catch (RuntimeException e) {
            keys = "";
        }
        LOG.warn("{} differed from the configuration of {}{}: edits to it are not used (it is rewritten from --config"
                + " and --set at every start); change a setting with --set KEY=VALUE", output.resolve("config.yaml"),
                c.dir().getFileName(), keys);
    }

    private Path save(Setup setup, RunState state, TrainStep step, EpochMetrics metrics, boolean best)
            throws IOException {
        CheckpointStore store = setup.store;
        if (!writer()) {
            return store.dir().resolve(CheckpointStore.name(state.epoch, state.iteration));
        }
        try (NDManager scratch = NDManager.newBaseManager(Device.cpu())) {
            JsonObject json = state.toJson(cfg.train().seed());
            json.addProperty("optimizer_steps", step.optimizer().steps());
            json.addProperty("variant", cfg.model().variant().id());
            json.addProperty("num_classes", cfg.model().numClasses());
            json.addProperty("replicas", step.replicas().globalSize());
            json.addProperty("accum_freq", cfg.train().accumFreq());
            json.add("metrics", metrics.toJson());
            TrainData.record(json, setup.trainSet.fingerprint());
            if (step.lossScaler() != null) {
                json.add(LOSS_SCALER, step.lossScaler().toJson());
            }
            NDList raw = StateDict.export(step.replicas().master(), scratch);
            NDList avg = StateDict.export(step.ema().model(), scratch);
            NDList moments = step.optimizer().stateTensors(step.replicas().masterState(), scratch);
            String configYaml = cfg.toYaml();
            try {
                return store.save(state.epoch, state.iteration,
                        dir -> Checkpoint.write(dir, raw, avg, moments, json, configYaml), best);
            } catch (IOException e) {
                throw new IOException("checkpoint " + store.dir().resolve(CheckpointStore.name(state.epoch,
                        state.iteration)) + " not saved (" + IoFailures.reason(e) + ")", e);
            }
        }
    }
}
