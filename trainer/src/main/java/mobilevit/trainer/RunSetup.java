package mobilevit.trainer;

import ai.djl.Device;
import ai.djl.pytorch.jni.JniUtils;

import mobilevit.core.AtomicFiles;
import mobilevit.data.codec.JpegDecoder;
import mobilevit.data.dataset.ImageFolder;
import mobilevit.data.dataset.RestartMarkedCopy;
import mobilevit.data.pipeline.EvalLoader;
import mobilevit.data.pipeline.EvalTransform;
import mobilevit.data.pipeline.MultiScaleSampler;
import mobilevit.data.pipeline.ScaleTable;
import mobilevit.data.pipeline.TrainLoader;
import mobilevit.data.pipeline.TrainTransform;
import mobilevit.trainer.checkpoint.CheckpointStore;
import mobilevit.trainer.checkpoint.Leftovers;
import mobilevit.trainer.checkpoint.RunFolderLock;
import mobilevit.trainer.cluster.Cluster;
import mobilevit.trainer.config.ConfigException;
import mobilevit.trainer.config.DataSection;
import mobilevit.trainer.config.OptimSection;
import mobilevit.trainer.config.SamplerSection;
import mobilevit.trainer.config.TrainConfig;
import mobilevit.trainer.config.TrainSection;
import mobilevit.trainer.report.RunPlots;
import mobilevit.trainer.step.LearningRate;
import mobilevit.trainer.step.TrainStep;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Pattern;

/**
 * What a run works with, set up once from its config: the data, the sampler and augmentation, the
 * model, this process's devices and threads, the schedule, and (rank 0) the locked run folder.
 *
 * @param lock the run folder's lock, held by rank 0 only (null on the other ranks)
 * @param editedConfig the run folder's config.yaml as it was found, before this run rewrote it (null if there was none)
 */
record RunSetup(ImageFolder trainSet, ImageFolder valSet, MultiScaleSampler sampler, TrainTransform augmentation,
        List<Device> devices, LearningRate schedule, long totalSteps, CheckpointStore store, RunFolderLock lock,
        String editedConfig) {

    private static final Logger LOG = LoggerFactory.getLogger(RunSetup.class);
    /** Temporary files of whole-file writes into the run folder (metrics.csv, ...) that a killed run left. */
    private static final Pattern RUN_LEFTOVER = Pattern.compile(
            "\\.(metrics\\.csv|config\\.yaml|skipped-.+\\.txt)\\.\\d+\\.tmp");

    static RunSetup create(TrainConfig cfg, Path output, Cluster cluster) throws IOException {
        Path root = dataRoot(cfg);
        List<Device> devices = devices(cfg);
        int cores = Runtime.getRuntime().availableProcessors();
        int threads = intraOpThreads(cfg.train(), devices, cores);
        if (threads > 0) {
            JniUtils.setNumThreads(threads);
        }
        if (threads > 0 && cfg.train().threads() == 0) {
            LOG.info("{} PyTorch intra-op thread(s) per CPU replica (train.threads 0: of {} cores, one is left to the"
                    + " data loaders)", threads, cores);
        }
        ImageFolder trainSet = ImageFolder.open(root.resolve("train"));
        ImageFolder valSet = ImageFolder.open(root.resolve("val"));
        checkClasses(cfg, trainSet, valSet);
        MultiScaleSampler sampler = sampler(cfg, trainSet, devices.size() * cluster.size());
        TrainTransform augmentation = new TrainTransform(cfg.data().randomCrop(), cfg.data().interpolation(),
                TrainTransform.Decoding.REGION, JpegDecoder.best(), cfg.data().pixelLimit());
        long totalSteps = steps(cfg, sampler);
        LearningRate schedule = LearningRate.of(cfg.optim().lr(), cfg.schedule(), cfg.train().epochs(), totalSteps);
        CheckpointStore store = new CheckpointStore(output, cfg.train().keepCheckpoints());
        if (cluster.rank() != 0) {
            return new RunSetup(trainSet, valSet, sampler, augmentation, devices, schedule, totalSteps, store, null,
                    null);
        }
        // rank 0 creates and locks the run folder, then writes its config.yaml and deletes what
        // interrupted runs left: nothing in the folder is touched before the lock is held
        Files.createDirectories(output);
        RunFolderLock lock = RunFolderLock.acquire(output);
        try {
            Path configFile = output.resolve("config.yaml");
            String edited = Files.isRegularFile(configFile) ? Files.readString(configFile) : null;
            AtomicFiles.writeString(configFile, cfg.toYaml());
            int leftovers = store.removeLeftovers() + Leftovers.remove(output, RUN_LEFTOVER)
                    + RunPlots.removeLeftovers(output.resolve("plots"));
            if (leftovers > 0) {
                LOG.info("removed {} temporary file(s) or folder(s) left by an interrupted run", leftovers);
            }
            return new RunSetup(trainSet, valSet, sampler, augmentation, devices, schedule, totalSteps, store, lock,
                    edited);
        } catch (IOException | RuntimeException e) {
            lock.close();
            throw e;
        }
    }

    /** The training batches of this process's replicas; the skipped images are listed in {@code skippedListFolder} (null: nowhere). */
    TrainLoader trainLoader(TrainConfig cfg, Cluster cluster, Path skippedListFolder) {
        DataSection data = cfg.data();
        return new TrainLoader(trainSet, sampler, augmentation, data.workers(), data.prefetch(), cfg.train().seed())
                .skippedListFolder(skippedListFolder).localShards(cluster.rank() * devices.size(), devices.size());
    }

    /** The validation batches (every process validates the whole split). */
    EvalLoader validation(TrainConfig cfg) {
        DataSection data = cfg.data();
        return new EvalLoader(valSet, new EvalTransform(cfg.eval().resize(), cfg.eval().crop(), data.interpolation(),
                JpegDecoder.best(), data.pixelLimit()), cfg.eval().batchSize(), data.workers(), data.prefetch());
    }

    /** The training step of this process's replicas, as the config says. */
    TrainStep trainStep(TrainConfig cfg, Cluster cluster) {
        TrainSection train = cfg.train();
        OptimSection optim = cfg.optim();
        return TrainStep.builder(devices, cfg.model().builder()).optSeed(train.seed())
                .optLabelSmoothing(train.labelSmoothing())
                .optAdamW(optim.beta1(), optim.beta2(), optim.eps(), optim.weightDecay())
                .optEma(train.emaMomentum()).optAccumulation(train.accumFreq()).optCluster(cluster)
                .optPrecision(train.precision()).optMemoryFormat(train.memoryFormat()).build();
    }

    /** Logs what the run trains, on what, and how long. */
    void describe(TrainConfig cfg, Path output, Cluster cluster) {
        TrainSection train = cfg.train();
        LOG.info("training MobileViT-{} on {} ({} replica(s){}), {} training / {} validation images, {} classes,"
                + " {} epochs = {} steps; run folder {}", cfg.model().variant(), train.devices(), sampler.replicas(),
                cluster.size() > 1 ? " in " + cluster.size() + " processes, this is rank " + cluster.rank() : "",
                trainSet.size(), valSet.size(), cfg.model().numClasses(), train.epochs(), totalSteps, output);
        // only where loading speed matters (not for the demo's few hundred images)
        if (cluster.rank() == 0 && trainSet.size() >= 10_000 && RestartMarkedCopy.wouldHelp(trainSet)) {
            LOG.info("{} has no restart markers in its JPEGs: a copy made once by `launch/mobilevit transcode "
                    + "--input DATA --output COPY` has the same pixels and loads faster (docs/jpeg-decoding.md)",
                    trainSet.root());
        }
    }

    /** Optimizer steps of the whole run with this config and data (as many replicas in every process). */
    static long plannedSteps(TrainConfig cfg, Cluster cluster) {
        ImageFolder trainSet = ImageFolder.open(dataRoot(cfg).resolve("train"));
        return steps(cfg, sampler(cfg, trainSet, devices(cfg).size() * cluster.size()));
    }

    static Path dataRoot(TrainConfig cfg) {
        if (cfg.data().root() == null) {
            throw new ConfigException("data.root is not set (give --data DIR or set data.root)");
        }
        return Path.of(cfg.data().root());
    }

    /** This process's devices: train.devices, refused when it names GPUs the machine lacks. */
    private static List<Device> devices(TrainConfig cfg) {
        try {
            return cfg.train().devices().onThisMachine();
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
    static int intraOpThreads(TrainSection train, List<Device> devices, int cores) {
        if (train.threads() > 0 || devices.stream().anyMatch(Device::isGpu)) {
            return train.threads();
        }
        return Math.max(1, (cores - 1) / devices.size());
    }

    private static MultiScaleSampler sampler(TrainConfig cfg, ImageFolder trainSet, int replicas) {
        SamplerSection s = cfg.sampler();
        return MultiScaleSampler.of(ScaleTable.Params.square(s.baseSize(), s.minSize(), s.maxSize(), s.numScales(),
                s.divisibleBy(), cfg.train().batchSize(), replicas), trainSet.size(), cfg.train().seed());
    }

    private static long steps(TrainConfig cfg, MultiScaleSampler sampler) {
        long total = 0;
        for (int e = 0; e < cfg.train().epochs(); e++) {
            total += TrainStep.stepsPerEpoch(sampler.iterations(e), cfg.train().accumFreq());
        }
        return total;
    }

    private static void checkClasses(TrainConfig cfg, ImageFolder train, ImageFolder val) {
        if (!train.classes().equals(val.classes())) {
            throw new ConfigException("train/ and val/ of " + cfg.data().root() + " have different class folders ("
                    + train.classes().size() + " and " + val.classes().size() + ")");
        }
        if (train.classes().size() > cfg.model().numClasses()) {
            throw new ConfigException(cfg.data().root() + " has " + train.classes().size()
                    + " classes but model.num_classes is " + cfg.model().numClasses());
        }
    }
}
