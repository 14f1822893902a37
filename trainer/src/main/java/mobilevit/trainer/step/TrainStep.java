package mobilevit.trainer.step;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;

import mobilevit.model.MemoryFormat;
import mobilevit.model.MobileViT;
import mobilevit.model.Precision;
import mobilevit.model.StateDict;
import mobilevit.trainer.checkpoint.Checkpoint;
import mobilevit.trainer.cluster.Cluster;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.Map;

/**
 * The training step: forward and backward of every replica's shard, then, once every
 * {@code accumulation} micro-batches (CVNets' {@code --common.accum-freq}), the mean gradient over
 * all their images, one AdamW update of replica 0, zeroed gradients, replica 0's state to every
 * replica, and the EMA; across processes ({@link Builder#optCluster}) the mean and the running
 * statistics are those of every process's replicas. Every phase is a fixed number of native calls per replica
 * ({@link FlatState}); {@link #times} says where the time went.
 *
 * <p>Under {@link Precision#FP16} the forward and backward compute in float16 ({@link Precision})
 * with a dynamic {@link LossScaler}; the master weights, gradients, AdamW moments and EMA stay
 * float32. A window whose gradient holds inf/NaN, or one of whose losses is not finite, is skipped:
 * no AdamW update (its step count unchanged), no EMA update. Only
 * {@link #NON_FINITE_LOSS_LIMIT} windows in a row with a non-finite loss stop the run. Under
 * {@link Precision#FP32} a non-finite loss, or a non-finite mean gradient (a finite but huge loss
 * can overflow in the backward), stops the run at once with {@link NonFiniteLossException}, before
 * anything of that window is applied.
 */
public final class TrainStep implements AutoCloseable {

    /**
     * Under FP16, the number of optimizer steps in a row with a non-finite loss that stops the run.
     * The loss scale only multiplies the backward, so a non-finite loss comes from a float16
     * activation overflowing in the forward: the next batch (another image size, other images) can
     * be fine, and a few in a row are no reason to stop. Weights cannot turn NaN (such steps are
     * skipped), so a diverged run shows up as losses that stay non-finite; 50 steps is a few
     * percent of an ImageNet epoch (1,251 steps at 1024 images), so little compute is lost before
     * the run stops.
     */
    public static final int NON_FINITE_LOSS_LIMIT = 50;

    /**
     * What one micro-batch did: its loss (NaN when it was not finite under FP16; no images count
     * then), its images, and whether its accumulation window closed after it (the optimizer
     * stepped, or, under FP16, skipped the step).
     */
    public record Result(double loss, long images, boolean updated) {}

    /** Nanoseconds spent in each phase since the last {@link #resetTimes}. */
    public static final class Times {
        public long forwardBackward;
        public long reduce;
        public long optimizer;
        public long ema;
        /** zeroing the gradients and the broadcast to the other replicas */
        public long other;
    }

    private static final Logger LOG = LoggerFactory.getLogger(TrainStep.class);
    /** The number of replicas (in every process) as state.json records it. */
    private static final String REPLICAS = "replicas";

    private final ReplicaGroup replicas;
    private final AdamW optimizer;
    private final NDManager emaManager;
    private final Ema ema;
    private final long runSeed;
    private final int accumulation;
    /** Null under FP32. */
    private final LossScaler scaler;
    private int micro;
    /** Whether a micro-batch of the current window had a non-finite loss (FP16). */
    private boolean nonFiniteLossInWindow;
    private Times times = new Times();

    private TrainStep(Builder b) {
        replicas = new ReplicaGroup(b.devices, b.model, b.seed, b.cluster,
                new ReplicaGroup.Forward(b.mode, b.labelSmoothing, b.precision, b.memoryFormat));
        optimizer = new AdamW(b.beta1, b.beta2, b.eps, b.weightDecay);
        if (b.emaMomentum > 0) {
            emaManager = NDManager.newBaseManager(replicas.masterDevice());
            ema = Ema.copyOf(replicas.masterState(), b.model, emaManager, b.emaMomentum);
        } else {
            emaManager = null;
            ema = null;
        }
        runSeed = b.seed;
        accumulation = b.accumulation;
        scaler = b.precision == Precision.FP16 ? b.scaler : null;
    }

    public static Builder builder(List<Device> devices, MobileViT.Builder model) {
        return new Builder(devices, model);
    }

    /** Optimizer steps of an epoch of {@code iterations} micro-batches: windows of {@code accumulation}, the last one shorter. */
    public static long stepsPerEpoch(int iterations, int accumulation) {
        return (iterations + accumulation - 1) / accumulation;
    }

    /**
     * Forward and backward of one micro-batch; when it completes the accumulation window, the
     * update follows with learning rate {@code lr}.
     *
     * @throws NonFiniteLossException if the loss is NaN or infinite (nothing of the window is applied);
     *     under FP16 only after {@link #NON_FINITE_LOSS_LIMIT} such steps in a row
     */
    public Result train(ReplicaGroup.ShardSource source, double lr) {
        ReplicaGroup.StepLoss loss = accumulate(source);
        boolean update = micro == accumulation;
        if (update) {
            closeWindow(lr);
        }
        return new Result(loss.loss(), loss.images(), update);
    }

    /**
     * After the epoch's last micro-batch ({@code last}, what {@link #train} returned): closes its
     * window when it is shorter than {@code accumulation}, so that no image's gradient is dropped.
     *
     * @return {@code last}, updated when this closed a window
     */
    public Result closeEpoch(Result last, double lr) {
        return closeWindow(lr) ? new Result(last.loss(), last.images(), true) : last;
    }

    /**
     * Forward and backward of one micro-batch into the replicas' gradients, without an update.
     *
     * @throws NonFiniteLossException if the loss is NaN or infinite under FP32 (the window's
     *     gradients are dropped); under FP16 the window is marked to be skipped and the loss
     *     returned as NaN with no images
     */
    public ReplicaGroup.StepLoss accumulate(ReplicaGroup.ShardSource source) {
        long start = System.nanoTime();
        try {
            ReplicaGroup.StepLoss loss = replicas.accumulate(source, runSeed, optimizer.steps(), micro,
                    scaler == null ? 1 : scaler.scale());
            micro++;
            return loss;
        } catch (NonFiniteLossException e) {
            if (scaler == null) {
                endWindow();
                throw e;
            }
            nonFiniteLossInWindow = true;
            micro++;
            return new ReplicaGroup.StepLoss(Double.NaN, 0);
        } finally {
            times.forwardBackward += System.nanoTime() - start;
        }
    }

    /** Whether no micro-batch is waiting for its update: the only moment a checkpoint is exact. */
    public boolean atUpdateBoundary() {
        return micro == 0;
    }

    /**
     * The update from the micro-batches accumulated so far, if any (a window of
     * {@code accumulation}, or a shorter one): mean gradient, AdamW, zeroed gradients, broadcast,
     * EMA. Under FP16 the mean gradient is unscaled first, and a window with a non-finite gradient
     * or loss is skipped (no AdamW, no EMA).
     *
     * @return whether a window was open (and is now closed)
     * @throws NonFiniteLossException under FP32 if the mean gradient holds inf or NaN (the window's
     *     gradients are dropped, nothing is applied); under FP16, when this is the
     *     {@link #NON_FINITE_LOSS_LIMIT}th window in a row with a non-finite loss
     */
    public boolean closeWindow(double lr) {
        if (micro == 0) {
            return false;
        }
        boolean applied;
        long t0 = System.nanoTime();
        try {
            applied = nonFiniteLossInWindow ? skipWindow() : applyWindow(lr, t0);
        } finally {
            endWindow();
        }
        long t3 = System.nanoTime();
        replicas.broadcast(); // also after a skipped step: the forward moved replica 0's running statistics
        long t4 = System.nanoTime();
        if (ema != null && applied) {
            ema.update(replicas.masterState());
        }
        times.other += t4 - t3;
        times.ema += System.nanoTime() - t4;
        return true;
    }

    /** A window with a non-finite loss (FP16): nothing applied, the scale backs off. */
    private boolean skipWindow() {
        int streak = scaler.skipNonFiniteLoss();
        if (streak >= NON_FINITE_LOSS_LIMIT) {
            throw new NonFiniteLossException("loss is not finite in " + streak + " steps in a row (fp16, loss"
                    + " scale " + scaler.scale() + ", " + optimizer.steps() + " AdamW steps taken)");
        }
        return false;
    }

    /** The window's mean gradient into AdamW, unless it is not finite; returns whether AdamW stepped. */
    private boolean applyWindow(double lr, long t0) {
        try (NDManager scope = NDManager.newBaseManager(replicas.masterDevice())) {
            NDArray gradient = replicas.reduce(scope);
            long t1 = System.nanoTime();
            boolean applied;
            if (scaler != null) {
                applied = scaler.unscale(gradient);
            } else if (LossScaler.allFinite(gradient)) {
                applied = true;
            } else {
                // a finite but huge loss can still overflow in the backward; such a step would
                // write inf/NaN into every weight (and the next checkpoint)
                throw new NonFiniteLossException("the gradient is not finite at step " + optimizer.steps()
                        + " (its loss was)");
            }
            if (applied) {
                optimizer.step(replicas.masterState().parameters(), gradient, lr);
            }
            long t2 = System.nanoTime();
            times.reduce += t1 - t0;
            times.optimizer += t2 - t1;
            return applied;
        }
    }

    /** Ends the window, closed or dropped: no gradient, no micro-batch, no non-finite loss left in it. */
    private void endWindow() {
        long start = System.nanoTime();
        replicas.zeroGradients();
        micro = 0;
        nonFiniteLossInWindow = false;
        times.other += System.nanoTime() - start;
    }

    /**
     * Hands every part's state to a checkpoint: the raw weights, the EMA and the AdamW moments as
     * CPU copies in {@code manager}, and into {@code state} (state.json) the AdamW step count, the
     * loss scaler's state, the replicas and the accumulation. Only exact at an update boundary.
     */
    public Checkpoint.Tensors state(NDManager manager, JsonObject state) {
        NDList moments = optimizer.export(replicas.masterState(), manager, state);
        state.addProperty(REPLICAS, replicas.globalSize());
        state.addProperty("accum_freq", accumulation);
        if (scaler != null) {
            scaler.export(state);
        }
        return new Checkpoint.Tensors(StateDict.export(replicas.master(), manager),
                ema == null ? new NDList() : ema.export(manager), moments);
    }

    /**
     * Restores what {@link #state} handed over; every replica then holds replica 0's weights. A
     * checkpoint of another number of replicas is resumed with a warning.
     *
     * @throws IllegalArgumentException naming what is missing or does not fit
     */
    public void restore(Checkpoint.Contents checkpoint) {
        checkpoint.loadWeights(replicas.master(), Checkpoint.Weights.RAW);
        if (ema != null) {
            ema.restore(checkpoint);
        }
        optimizer.restore(checkpoint.optimizer(), checkpoint.state(), replicas.masterState());
        if (scaler != null) {
            scaler.restore(checkpoint.state());
        }
        replicas.broadcast();
        JsonElement saved = checkpoint.state().get(REPLICAS);
        if (saved != null && saved.isJsonPrimitive() && saved.getAsInt() != replicas.globalSize()) {
            LOG.warn("{} was written by {} replica(s), this run has {}: the batch table and the data shards change,"
                    + " so the run will not continue exactly as it would have", checkpoint.dir(), saved.getAsInt(),
                    replicas.globalSize());
        }
    }

    /**
     * After weights were written into the master model (released or pretrained weights): every
     * replica takes them, and the EMA restarts from them, as CVNets' EMA copies the model it is
     * given.
     */
    public void adoptMasterWeights() {
        replicas.broadcast();
        if (ema != null) {
            ema.restartFrom(replicas.masterState());
        }
    }

    /**
     * The mean gradient of the micro-batches since the last update, by parameter name, owned by
     * {@code scope}, without applying it (for inspection and tests).
     */
    public Map<String, NDArray> meanGradients(NDManager scope) {
        return replicas.masterState().named(replicas.reduce(scope), scope);
    }

    public ReplicaGroup replicas() {
        return replicas;
    }

    public AdamW optimizer() {
        return optimizer;
    }

    /** How the training forward stores its feature maps: the one asked for, unless {@code ChannelsLastCheck} refused it. */
    public MemoryFormat memoryFormat() {
        return replicas.memoryFormat();
    }

    /** The loss scaler, or null under FP32. */
    public LossScaler lossScaler() {
        return scaler;
    }

    /** The EMA, or null when the builder's momentum was 0. */
    public Ema ema() {
        return ema;
    }

    public Times times() {
        return times;
    }

    public void resetTimes() {
        times = new Times();
    }

    @Override
    public void close() {
        replicas.close();
        if (emaManager != null) {
            emaManager.close();
        }
    }

    /** Builds a {@link TrainStep}; defaults are the paper's (AdamW 0.9/0.999/1e-8, wd 0.01, smoothing 0.1). */
    public static final class Builder {
        private final List<Device> devices;
        private final MobileViT.Builder model;
        private long seed;
        private double labelSmoothing = 0.1;
        private ReplicaGroup.ForwardMode mode = ReplicaGroup.ForwardMode.TRAIN;
        private double beta1 = 0.9;
        private double beta2 = 0.999;
        private double eps = 1e-8;
        private double weightDecay = 0.01;
        private double emaMomentum;
        private int accumulation = 1;
        private Cluster cluster = Cluster.SINGLE_PROCESS;
        private Precision precision = Precision.FP32;
        private MemoryFormat memoryFormat = MemoryFormat.CONTIGUOUS;
        private LossScaler scaler = LossScaler.standard();

        private Builder(List<Device> devices, MobileViT.Builder model) {
            this.devices = List.copyOf(devices);
            this.model = model;
        }

        /** Seed of the initial weights and of the dropout masks. */
        public Builder optSeed(long seed) {
            this.seed = seed;
            return this;
        }

        public Builder optLabelSmoothing(double epsilon) {
            this.labelSmoothing = epsilon;
            return this;
        }

        public Builder optForwardMode(ReplicaGroup.ForwardMode mode) {
            this.mode = mode;
            return this;
        }

        public Builder optAdamW(double beta1, double beta2, double eps, double weightDecay) {
            this.beta1 = beta1;
            this.beta2 = beta2;
            this.eps = eps;
            this.weightDecay = weightDecay;
            return this;
        }

        /** An EMA of the weights with this momentum (0, the default, keeps none). */
        public Builder optEma(double momentum) {
            this.emaMomentum = momentum;
            return this;
        }

        /** Micro-batches per optimizer step (default 1). */
        public Builder optAccumulation(int microBatches) {
            if (microBatches < 1) {
                throw new IllegalArgumentException("accumulation must be at least 1, got " + microBatches);
            }
            this.accumulation = microBatches;
            return this;
        }

        /**
         * The processes this step trains with (default: this one alone). Every process then applies
         * the same AdamW update to the same all-reduced gradient, so their parameters stay equal
         * without a broadcast; only rank 0's BatchNorm running statistics are broadcast.
         */
        public Builder optCluster(Cluster cluster) {
            this.cluster = cluster;
            return this;
        }

        /** The arithmetic of the forward and backward (default FP32). */
        public Builder optPrecision(Precision precision) {
            this.precision = precision;
            return this;
        }

        /** How the forward stores its feature maps (default CONTIGUOUS). */
        public Builder optMemoryFormat(MemoryFormat memoryFormat) {
            this.memoryFormat = memoryFormat;
            return this;
        }

        /** The loss scaler used under FP16 (default {@link LossScaler#standard()}). */
        public Builder optLossScaler(LossScaler scaler) {
            this.scaler = scaler;
            return this;
        }

        public TrainStep build() {
            return new TrainStep(this);
        }
    }
}
