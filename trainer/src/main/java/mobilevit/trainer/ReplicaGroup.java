package mobilevit.trainer;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.util.PairList;

import mobilevit.model.Autograd;
import mobilevit.model.DropoutStream;
import mobilevit.model.MobileViT;
import mobilevit.model.Precision;
import mobilevit.model.StageRecorder;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * N full model copies, one per device, each with its state in flat buffers ({@link FlatState}).
 * {@link #accumulate} runs forward and backward of every replica's shard in parallel (one thread
 * per replica) into each replica's flat gradient, {@link #reduce} averages those gradients over
 * every image, {@link #broadcast} gives every replica replica 0's state (BatchNorm running
 * statistics included, as PyTorch DDP broadcasts buffers from rank 0). Each of these costs a fixed
 * number of native calls per replica, whatever the number of tensors.
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

    private final List<Replica> replicas = new ArrayList<>();
    private final ExecutorService threads;
    private final double labelSmoothing;
    private final ForwardMode mode;
    private final Precision precision;

    /**
     * @param devices one entry per replica (devices may repeat: several replicas on the CPU)
     * @param builder the model to replicate; every replica starts from the same seeded weights
     * @param seed initialisation seed
     * @param labelSmoothing epsilon of the loss
     * @param precision the arithmetic of the training forward and backward
     */
    public ReplicaGroup(List<Device> devices, MobileViT.Builder builder, long seed, double labelSmoothing,
            ForwardMode mode, Precision precision) {
        for (int i = 0; i < devices.size(); i++) {
            replicas.add(new Replica(i, devices.get(i), builder, seed));
        }
        AtomicInteger n = new AtomicInteger();
        threads = Executors.newFixedThreadPool(devices.size(), r -> {
            Thread t = new Thread(r, "replica-" + n.getAndIncrement());
            t.setDaemon(true);
            return t;
        });
        this.labelSmoothing = labelSmoothing;
        this.mode = mode;
        this.precision = precision;
    }

    public int size() {
        return replicas.size();
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
     * Forward and backward of every replica's shard; each replica's flat gradient grows by its
     * shard's images times the gradient of the shard's mean loss, so that {@link #reduce} can
     * weight every image alike whatever the shard and micro-batch sizes.
     *
     * @param micro the micro-batch within the optimizer step (gradient accumulation), from 0
     * @param lossScale factor of the backward's seed ({@link LossScaler}; 1 without loss scaling): the
     *     gradients grow by it too
     * @throws NonFiniteLossException if any shard's loss is NaN or infinite (the gradients are then
     *     cleared)
     */
    public StepLoss accumulate(ShardSource source, long runSeed, long step, int micro, double lossScale) {
        List<Future<double[]>> futures = new ArrayList<>();
        for (Replica r : replicas) {
            futures.add(threads.submit(() -> forwardBackward(r, source, runSeed, step, micro, lossScale)));
        }
        double[] losses = new double[replicas.size()];
        long[] counts = new long[replicas.size()];
        long total = 0;
        for (int i = 0; i < futures.size(); i++) {
            double[] result = join(futures.get(i));
            losses[i] = result[0];
            counts[i] = (long) result[1];
            total += counts[i];
        }
        double loss = 0;
        for (int i = 0; i < losses.length; i++) {
            loss += losses[i] * counts[i] / total;
        }
        if (!Double.isFinite(loss)) {
            zeroGradients();
            throw new NonFiniteLossException("loss is " + loss + " at step " + step
                    + " (per replica: " + Arrays.toString(losses) + ")");
        }
        return new StepLoss(loss, total);
    }

    private double[] forwardBackward(Replica r, ShardSource source, long runSeed, long step, int micro,
            double lossScale) {
        try (NDManager scope = r.manager.newSubManager()) {
            NDList shard = source.shard(r.index, scope);
            shard.attach(scope);
            NDArray images = shard.get(0);
            NDArray labels = shard.get(1);
            long n = images.getShape().get(0);
            if (n == 0) {
                return new double[] {0, 0};
            }
            PairList<String, Object> params = new PairList<>();
            params.add(DropoutStream.PARAM_KEY, DropoutStream.forStep(runSeed, step, r.index, micro));
            params.add(Precision.PARAM_KEY, precision);
            Autograd.setEnabled(true);
            try {
                NDArray logits = r.model.forward(r.state.trainingStore(scope, precision), images,
                        mode == ForwardMode.TRAIN,
                        params, StageRecorder.NONE);
                NDArray loss = LabelSmoothing.loss(logits, labels, labelSmoothing);
                Autograd.backward(loss, n * lossScale);
                r.images += n;
                return new double[] {loss.toType(DataType.FLOAT64, false).getDouble(), n};
            } finally {
                Autograd.setEnabled(false);
            }
        }
    }

    /** Images whose gradients have accumulated since the last {@link #zeroGradients}. */
    public long accumulatedImages() {
        long total = 0;
        for (Replica r : replicas) {
            total += r.images;
        }
        return total;
    }

    /**
     * The mean gradient over every image accumulated since the last {@link #zeroGradients}, flat,
     * on the master device, owned by {@code scope}: replica by replica a sum, then one division.
     * The accumulated gradients are left as they are.
     *
     * @throws IllegalStateException if nothing has accumulated
     */
    public NDArray reduce(NDManager scope) {
        long total = accumulatedImages();
        if (total == 0) {
            throw new IllegalStateException("no gradient has accumulated");
        }
        Device device = masterDevice();
        return Autograd.withoutGrad(() -> {
            List<NDArray> parts = new ArrayList<>();
            for (Replica r : replicas) {
                if (r.images > 0) {
                    NDArray g = r.state.gradient(scope);
                    NDArray local = g.getDevice().equals(device) ? g : g.toDevice(device, false);
                    local.attach(scope);
                    parts.add(local);
                }
            }
            NDArray sum = parts.size() == 1 ? parts.get(0) : parts.get(0).add(parts.get(1));
            for (int i = 2; i < parts.size(); i++) {
                sum.addi(parts.get(i));
            }
            NDArray mean = sum.div(total); // a new array: the replicas' gradients stay as they are
            mean.attach(scope);
            return mean;
        });
    }

    /** Clears every replica's accumulated gradient: one native call per replica. */
    public void zeroGradients() {
        for (Replica r : replicas) {
            if (r.images > 0) {
                r.state.zeroGradient();
            }
            r.images = 0;
        }
    }

    /** Copies replica 0's full state to every other replica. */
    public void broadcast() {
        FlatState master = masterState();
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
        threads.shutdownNow();
        replicas.forEach(Replica::close);
    }
}
