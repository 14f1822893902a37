package mobilevit.trainer.step;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;

import mobilevit.model.MobileViT;

/** One full copy of the model on one device, its state flat, with the manager that owns it. */
final class Replica implements AutoCloseable {

    final int index;
    /** The replica's number among every process's replicas (its dropout stream). */
    final int globalIndex;
    final Device device;
    final NDManager manager;
    final MobileViT model;
    final FlatState state;
    /** Images whose gradient the flat gradient holds (since the last zeroing). */
    private long images;
    /** The flat gradient holds the sum over those images of their gradients divided by this count. */
    private long gradientPerImages;

    Replica(int index, int globalIndex, Device device, MobileViT.Builder builder, long seed) {
        this.index = index;
        this.globalIndex = globalIndex;
        this.device = device;
        this.manager = NDManager.newBaseManager(device);
        this.model = builder.buildInitialized(manager, seed);
        this.state = FlatState.adopt(model, manager, FlatState.Gradients.RECORDED);
    }

    /** Images whose gradient the flat gradient holds (since the last zeroing). */
    long images() {
        return images;
    }

    /** The flat gradient holds the sum over {@link #images} of their gradients divided by this count. */
    long gradientPerImages() {
        return gradientPerImages;
    }

    /** Counts a backward of the mean loss of {@code n} images into the gradient (rescaled to hold the sum over n). */
    void addBackward(long n) {
        images += n;
        gradientPerImages = n;
    }

    /** Clears the gradient: one native call when it holds any. */
    void zeroGradient() {
        if (images > 0) {
            state.zeroGradient();
        }
        images = 0;
        gradientPerImages = 0;
    }

    @Override
    public void close() {
        manager.close();
    }
}
