package mobilevit.trainer;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

import mobilevit.model.Autograd;
import mobilevit.model.DropoutStream;
import mobilevit.model.MobileViT;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Data-parallel training over N replicas, one full model copy per device. A step runs forward and
 * backward of every replica's shard in parallel (one thread per replica) and waits for all; the
 * gradients are averaged on replica 0 weighted by shard size, so N replicas compute the update of
 * one replica on the whole batch (BatchNorm batch statistics aside); one optimizer update follows,
 * with one step counter, and every replica receives replica 0's state, BatchNorm running
 * statistics included (as PyTorch DDP broadcasts buffers from rank 0).
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

    private final List<Replica> replicas = new ArrayList<>();
    private final ExecutorService threads;
    private final double labelSmoothing;
    private final boolean trainMode;
    /** The averaged gradients of the last forwardBackward, owned by {@code gradientScope}. */
    private Map<String, NDArray> averaged = Map.of();
    private NDManager gradientScope;

    /**
     * @param devices one entry per replica (devices may repeat: several replicas on the CPU)
     * @param builder the model to replicate; every replica starts from the same seeded weights
     * @param seed initialisation seed
     * @param labelSmoothing epsilon of the loss
     * @param trainMode false runs the forward in eval mode (frozen BatchNorm, no dropout)
     */
    public ReplicaGroup(List<Device> devices, MobileViT.Builder builder, long seed, double labelSmoothing,
            boolean trainMode) {
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
        this.trainMode = trainMode;
    }

    public int size() {
        return replicas.size();
    }

    /** Replica 0's model: the weights the optimizer updates, saved and validated. */
    public MobileViT master() {
        return replicas.get(0).model;
    }

    /** Replica 0's parameters that receive gradients, by name. */
    public Map<String, NDArray> trainable() {
        return replicas.get(0).trainable;
    }

    /** Replica 0's full state (parameters and running statistics), by name. */
    public Map<String, NDArray> state() {
        return replicas.get(0).state;
    }

    public Device masterDevice() {
        return replicas.get(0).device;
    }

    /** The loss of a step, weighted over shards, and the images it saw. */
    public record StepLoss(double loss, long images) {}

    /**
     * Forward and backward of every replica's shard; afterwards {@link #gradients} holds the
     * averaged gradient until {@link #apply} is called.
     *
     * @param dropoutSeed mixes run seed and global step: dropout masks depend on nothing else
     * @throws NonFiniteLossException if any shard's loss is NaN or infinite (nothing is applied)
     */
    public StepLoss forwardBackward(ShardSource source, long runSeed, long step) {
        List<Future<double[]>> futures = new ArrayList<>();
        for (Replica r : replicas) {
            futures.add(threads.submit(() -> forwardBackward(r, source, runSeed, step)));
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
                    + " (per replica: " + java.util.Arrays.toString(losses) + ")");
        }
        averageGradients(counts, total);
        return new StepLoss(loss, total);
    }

    private double[] forwardBackward(Replica r, ShardSource source, long runSeed, long step) {
        try (NDManager scope = r.manager.newSubManager()) {
            NDList shard = source.shard(r.index, scope);
            shard.attach(scope);
            NDArray images = shard.get(0);
            NDArray labels = shard.get(1);
            if (images.getShape().get(0) == 0) {
                return new double[] {0, 0};
            }
            PairList<String, Object> params = new PairList<>();
            params.add(DropoutStream.PARAM_KEY, DropoutStream.forStep(runSeed, step, r.index));
            Autograd.setEnabled(true);
            try {
                NDArray logits = r.model.forward(new ParameterStore(scope, false), images, trainMode, params,
                        mobilevit.model.StageRecorder.NONE);
                NDArray loss = LabelSmoothing.loss(logits, labels, labelSmoothing);
                Autograd.backward(loss);
                return new double[] {loss.toType(DataType.FLOAT64, false).getDouble(), labels.size()};
            } finally {
                Autograd.setEnabled(false);
            }
        }
    }

    /** Averages every replica's gradients onto replica 0, weighted by shard size. */
    private void averageGradients(long[] counts, long total) {
        Replica master = replicas.get(0);
        gradientScope = master.manager.newSubManager();
        Map<String, NDArray> out = new LinkedHashMap<>();
        Autograd.withoutGrad(() -> {
            for (Map.Entry<String, NDArray> e : master.trainable.entrySet()) {
                NDArray g = e.getValue().getGradient();
                g.attach(gradientScope);
                if (replicas.size() > 1) {
                    g = g.mul((double) counts[0] / total);
                    for (int i = 1; i < replicas.size(); i++) {
                        if (counts[i] == 0) {
                            continue;
                        }
                        NDArray other = replicas.get(i).trainable.get(e.getKey()).getGradient();
                        other.attach(gradientScope);
                        NDArray local = other.toDevice(master.device, false);
                        g.addi(local.mul((double) counts[i] / total));
                    }
                }
                out.put(e.getKey(), g);
            }
        });
        averaged = out;
    }

    /** The averaged gradients of the last {@link #forwardBackward}, by parameter name. */
    public Map<String, NDArray> gradients() {
        return averaged;
    }

    /**
     * Applies the averaged gradients with {@code optimizer}, clears every replica's gradients and
     * copies replica 0's state to the others.
     */
    public void apply(AdamW optimizer, double lr) {
        optimizer.step(replicas.get(0).trainable, averaged, lr);
        zeroGradients();
        broadcast();
    }

    private void zeroGradients() {
        if (gradientScope != null) {
            gradientScope.close();
            gradientScope = null;
        }
        averaged = Map.of();
        for (Replica r : replicas) {
            r.trainable.values().forEach(Autograd::zeroGradient);
        }
    }

    /** Copies replica 0's full state to every other replica. */
    public void broadcast() {
        Replica master = replicas.get(0);
        for (int i = 1; i < replicas.size(); i++) {
            Map<String, NDArray> target = replicas.get(i).state;
            for (Map.Entry<String, NDArray> e : master.state.entrySet()) {
                Autograd.copyInto(target.get(e.getKey()), e.getValue());
            }
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
        zeroGradients();
        replicas.forEach(Replica::close);
    }
}
