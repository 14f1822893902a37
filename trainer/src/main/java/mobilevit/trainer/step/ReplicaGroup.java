package mobilevit.trainer.step;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.util.PairList;

import mobilevit.core.DaemonThreads;
import mobilevit.model.Autograd;
import mobilevit.model.ChannelsLastCheck;
import mobilevit.model.DropoutStream;
import mobilevit.model.MemoryFormat;
import mobilevit.model.MobileViT;
import mobilevit.model.Precision;
import mobilevit.model.StageRecorder;
import mobilevit.trainer.cluster.Cluster;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * N full model copies, one per device, each with its state in flat buffers ({@link FlatState}).
 * {@link #accumulate} runs forward and backward of every replica's shard in parallel (replica 0 on
 * the calling thread, every other replica on a thread of its own) into each replica's flat
 * gradient, {@link #reduce} averages those gradients over every image, {@link #broadcast} gives
 * every replica replica 0's state (BatchNorm running statistics included, as PyTorch DDP
 * broadcasts buffers from rank 0). Each of these costs a fixed number of native calls per replica,
 * whatever the number of tensors.
 *
 * <p>Across processes ({@link Cluster}): every process holds the same number of replicas, numbered
 * globally rank by rank; the losses and image counts are gathered so that every process computes
 * the same loss, {@link #reduce} sums each process's gradients locally and then over the processes
 * (one all-reduce of the flat buffer, staged through host memory) before its one division, and
 * {@link #broadcast} first gives every process rank 0's running statistics. With one replica per
 * process on two processes this is, bit for bit, what two replicas in one process compute: the
 * only sum is of two operands, which floating-point addition gives alike in either order.
 */
public final class ReplicaGroup implements AutoCloseable {

    /**
     * Creates the images [n,3,h,w] and labels [n] of one replica's shard on {@code manager}'s
     * device. The step owns what it returns: the arrays are attached to {@code manager} and closed
     * with it, so return fresh arrays (a copy, not a shared array). Ownership matters beyond these
     * two arrays: every activation of the forward joins its input's manager.
     */
    @FunctionalInterface
    public interface ShardSource {
        NDList shard(int replica, NDManager manager);
    }

    /** How the forward treats BatchNorm and dropout. */
    public enum ForwardMode {
        /** batch statistics (running statistics updated) and dropout, as in training */
        TRAIN,
        /** running statistics, no dropout: a deterministic function of the weights */
        EVAL
    }

    /** The loss of one micro-batch, weighted over shards, and the images it saw. */
    public record StepLoss(double loss, long images) {}

    /**
     * How every replica's training forward runs: BatchNorm and dropout, the loss's label smoothing,
     * the arithmetic, and how feature maps are stored (channels-last only where this CPU's kernels
     * pass {@link ChannelsLastCheck}).
     */
    public record Forward(ForwardMode mode, double labelSmoothing, Precision precision, MemoryFormat memoryFormat) {}

    private final List<Replica> replicas = new ArrayList<>();
    /**
     * Threads of replicas 1..N-1; null with one replica. Replica 0 runs on the calling thread, which
     * also runs the update: PyTorch's CPU intra-op pool is OpenMP, one team of threads per calling
     * thread, and a second team idling (spinning) beside the first one slowed every CPU step (batch 2
     * at 64x64 on 2 cores: 116-150 ms a step with replica 0 on a thread of its own, 42-57 ms without).
     */
    private final ExecutorService threads;
    /** The memory format as {@link ChannelsLastCheck} resolved it. */
    private final Forward forward;
    private final Cluster cluster;
    /** Host copies of the flat gradient and of the running statistics for the collectives (made on first use). */
    private ByteBuffer gradientHost;
    private ByteBuffer buffersHost;

    /**
     * @param devices one entry per replica of this process (devices may repeat: several replicas on the CPU)
     * @param builder the model to replicate; every replica starts from the same weights, of initialisation seed {@code seed}
     * @param cluster the processes training together (each with as many replicas as this one)
     * @throws IllegalArgumentException if the processes hold different numbers of replicas
     */
    public ReplicaGroup(List<Device> devices, MobileViT.Builder builder, long seed, Cluster cluster, Forward forward) {
        double[] counts = cluster.gather(new double[] {devices.size()});
        for (int r = 0; r < counts.length; r++) {
            if (counts[r] != devices.size()) {
                throw new IllegalArgumentException("rank " + r + " has " + (int) counts[r] + " replica(s), rank "
                        + cluster.rank() + " has " + devices.size() + ": every process needs the same train.devices");
            }
        }
        int first = cluster.rank() * devices.size();
        for (int i = 0; i < devices.size(); i++) {
            replicas.add(new Replica(i, first + i, devices.get(i), builder, seed));
        }
        threads = devices.size() == 1 ? null
                : Executors.newFixedThreadPool(devices.size() - 1, DaemonThreads.named("replica"));
        this.cluster = cluster;
        this.forward = new Forward(forward.mode(), forward.labelSmoothing(), forward.precision(),
                ChannelsLastCheck.resolve(forward.memoryFormat(), replicas.get(0).model, devices.get(0)));
    }

    /** How the training forward stores its feature maps (after {@link ChannelsLastCheck}). */
    public MemoryFormat memoryFormat() {
        return forward.memoryFormat();
    }

    /** Replicas in this process. */
    public int size() {
        return replicas.size();
    }

    /** Replicas in every process together. */
    public int globalSize() {
        return replicas.size() * cluster.size();
    }

    /** The global number of this process's first replica (its shard in the sampler's batches). */
    public int firstGlobalIndex() {
        return replicas.get(0).globalIndex;
    }

    /** Replica 0's model: the weights the optimizer updates, saved and validated. */
    public MobileViT master() {
        return replicas.get(0).model;
    }

    /** Replica 0's flat state. */
    public FlatState masterState() {
        return replicas.get(0).state;
    }

    /** Replica 0's full state (parameters and running statistics), by name: views of its flat state. */
    public Map<String, NDArray> state() {
        return master().state();
    }

    public Device masterDevice() {
        return replicas.get(0).device;
    }

    /**
     * Forward and backward of every replica's shard into each replica's flat gradient. Every image
     * weighs alike whatever the shard and micro-batch sizes: a replica's gradient holds
     * (sum of n_k g_k) / n_last, with g_k the gradient of micro-batch k's mean loss and n_k its
     * images (one rescaling call when the size changes); the backward's seed is the loss scale (1
     * without), never the image count, so no intermediate grows with the batch.
     *
     * @param micro the micro-batch within the optimizer step (gradient accumulation), from 0
     * @param lossScale factor of the backward's seed ({@link LossScaler}; 1 without loss scaling): the
     *     gradients grow by it too
     * @throws NonFiniteLossException if any shard's loss is NaN or infinite (the gradients are then
     *     cleared)
     */
    public StepLoss accumulate(ShardSource source, long runSeed, long step, int micro, double lossScale) {
        List<Future<StepLoss>> others = new ArrayList<>();
        for (Replica r : replicas.subList(1, replicas.size())) {
            others.add(threads.submit(() -> forwardBackward(r, source, runSeed, step, micro, lossScale)));
        }
        List<StepLoss> local = new ArrayList<>();
        RuntimeException failure = null;
        for (int i = 0; i < replicas.size(); i++) { // every replica finishes before a failure is thrown
            try {
                local.add(i == 0 ? forwardBackward(replicas.get(0), source, runSeed, step, micro, lossScale)
                        : join(others.get(i - 1)));
            } catch (RuntimeException e) {
                failure = failure == null ? e : failure;
            }
        }
        if (failure != null) {
            throw failure;
        }
        List<StepLoss> shards = gather(local); // every replica's, in global order
        long total = shards.stream().mapToLong(StepLoss::images).sum();
        double loss = 0;
        for (StepLoss shard : shards) {
            loss += shard.loss() * shard.images() / total;
        }
        if (!Double.isFinite(loss)) {
            zeroGradients();
            throw new NonFiniteLossException("loss is " + loss + " at step " + step
                    + " (per replica: " + Arrays.toString(shards.stream().mapToDouble(StepLoss::loss).toArray()) + ")");
        }
        return new StepLoss(loss, total);
    }

    /** Every process's shard losses, rank by rank: the collective carries each as the pair (loss, images). */
    private List<StepLoss> gather(List<StepLoss> local) {
        double[] pairs = new double[2 * local.size()];
        for (int i = 0; i < local.size(); i++) {
            pairs[2 * i] = local.get(i).loss();
            pairs[2 * i + 1] = local.get(i).images();
        }
        double[] all = cluster.gather(pairs);
        List<StepLoss> shards = new ArrayList<>();
        for (int i = 0; i < all.length / 2; i++) {
            shards.add(new StepLoss(all[2 * i], (long) all[2 * i + 1]));
        }
        return shards;
    }

    private StepLoss forwardBackward(Replica r, ShardSource source, long runSeed, long step, int micro,
            double lossScale) {
        try (NDManager scope = r.manager.newSubManager()) {
            NDList shard = source.shard(r.index, scope);
            shard.attach(scope);
            NDArray images = shard.get(0);
            NDArray labels = shard.get(1);
            long n = images.getShape().get(0);
            if (n == 0) {
                return new StepLoss(0, 0);
            }
            if (r.images() > 0 && r.gradientPerImages() != n) {
                // the gradient holds (sum of n_k g_k) / n_last; rescale it to this micro-batch's n
                Autograd.withoutGrad(() -> r.state.gradient(scope).muli((double) r.gradientPerImages() / n));
            }
            PairList<String, Object> params = new PairList<>();
            params.add(DropoutStream.PARAM_KEY,
                    new DropoutStream(DropoutSeeds.of(runSeed, step, r.globalIndex, micro)));
            params.add(Precision.PARAM_KEY, forward.precision());
            params.add(MemoryFormat.PARAM_KEY, forward.memoryFormat());
            boolean recording = Autograd.isEnabled(); // replica 0 runs on the caller's thread: leave its mode as it was
            Autograd.setEnabled(true);
            try {
                NDArray logits = r.model.forward(r.state.trainingStore(scope, forward.precision()), images,
                        forward.mode() == ForwardMode.TRAIN, params, StageRecorder.NONE);
                NDArray loss = LabelSmoothing.loss(logits, labels, forward.labelSmoothing());
                Autograd.backward(loss, lossScale);
                r.addBackward(n);
                return new StepLoss(loss.toType(DataType.FLOAT64, false).getDouble(), n);
            } finally {
                Autograd.setEnabled(recording);
            }
        }
    }

    /** Images of this process's replicas whose gradients have accumulated since the last {@link #zeroGradients}. */
    public long accumulatedImages() {
        long total = 0;
        for (Replica r : replicas) {
            total += r.images();
        }
        return total;
    }

    /**
     * The mean gradient over every image accumulated since the last {@link #zeroGradients} (in every
     * process), flat, on the master device, owned by {@code scope}: each replica's gradient times its
     * share of all the images (see {@link #accumulate}), summed in the process, then over the
     * processes. The accumulated gradients are left as they are.
     *
     * @throws IllegalStateException if nothing has accumulated
     */
    public NDArray reduce(NDManager scope) {
        long total = cluster.sum(accumulatedImages());
        if (total == 0) {
            throw new IllegalStateException("no gradient has accumulated");
        }
        Device device = masterDevice();
        return Autograd.withoutGrad(() -> {
            NDArray mean = localSum(scope, device, total);
            if (cluster.size() > 1) {
                gradientHost = stage(mean, gradientHost);
                cluster.sum(gradientHost);
                ByteBuffer host = gradientHost.duplicate().order(ByteOrder.nativeOrder());
                mean = scope.create(host.asFloatBuffer(), mean.getShape()).toDevice(device, false);
                mean.attach(scope);
            }
            return mean;
        });
    }

    /**
     * This process's share of the mean: each replica's gradient times n_r / total, summed (a new
     * array). Scaling by the share, not by n_r, keeps huge gradients from overflowing; one replica
     * with one micro-batch gives its gradient times 1.0, bit for bit. Zeros when no replica of this
     * process has an image.
     */
    private NDArray localSum(NDManager scope, Device device, long total) {
        List<NDArray> parts = new ArrayList<>();
        for (Replica r : replicas) {
            if (r.images() > 0) {
                NDArray g = r.state.gradient(scope);
                NDArray local = g.getDevice().equals(device) ? g : g.toDevice(device, false);
                local.attach(scope);
                NDArray weighted = local.mul((double) r.gradientPerImages() / total); // a new array
                weighted.attach(scope);
                parts.add(weighted);
            }
        }
        if (parts.isEmpty()) {
            NDArray zeros = scope.zeros(masterState().parameters().getShape(), DataType.FLOAT32, device);
            zeros.attach(scope);
            return zeros;
        }
        NDArray sum = parts.size() == 1 ? parts.get(0) : parts.get(0).add(parts.get(1));
        for (int i = 2; i < parts.size(); i++) {
            sum.addi(parts.get(i));
        }
        return sum;
    }

    /**
     * {@code flat}'s float32 values in a direct host buffer of exactly their size ({@code reuse} when
     * it has that size), for a collective: DJL exposes no device pointer.
     */
    private static ByteBuffer stage(NDArray flat, ByteBuffer reuse) {
        if (flat.getDataType() != DataType.FLOAT32) {
            throw new IllegalStateException("only float32 state crosses processes, got " + flat.getDataType());
        }
        int bytes = Math.toIntExact(flat.getShape().size() * Float.BYTES);
        ByteBuffer host = reuse != null && reuse.capacity() == bytes
                ? reuse : ByteBuffer.allocateDirect(bytes).order(ByteOrder.nativeOrder());
        host.clear();
        host.put(flat.toByteBuffer().order(ByteOrder.nativeOrder()));
        host.flip();
        return host;
    }

    /** Clears every replica's accumulated gradient: one native call per replica. */
    public void zeroGradients() {
        replicas.forEach(Replica::zeroGradient);
    }

    /**
     * Copies replica 0's full state to every other replica; across processes, rank 0's running
     * statistics first (the parameters are equal already: every process applies the same update).
     */
    public void broadcast() {
        FlatState master = masterState();
        if (cluster.size() > 1) {
            buffersHost = stage(master.buffers(), buffersHost);
            cluster.broadcast(buffersHost);
            if (cluster.rank() != 0) {
                ByteBuffer host = buffersHost.duplicate().order(ByteOrder.nativeOrder());
                try (NDManager scratch = NDManager.newBaseManager(Device.cpu())) {
                    Autograd.copyInto(master.buffers(), scratch.create(host.asFloatBuffer(), master.buffers().getShape()));
                }
            }
        }
        for (int i = 1; i < replicas.size(); i++) {
            replicas.get(i).state.copyFrom(master);
        }
    }

    private static <T> T join(Future<T> f) {
        try {
            return f.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for a replica", e);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof RuntimeException) {
                throw (RuntimeException) cause;
            }
            throw new IllegalStateException(cause);
        }
    }

    @Override
    public void close() {
        if (threads != null) {
            threads.shutdownNow();
        }
        replicas.forEach(Replica::close);
    }
}
