package mobilevit.trainer;

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
    long images;
    /** The flat gradient holds the sum over those images of their gradients divided by this count. */
    long gradientPerImages;

    Replica(int index, int globalIndex, Device device, MobileViT.Builder builder, long seed) {
        this.index = index;
        this.globalIndex = globalIndex;
        this.device = device;
        this.manager = NDManager.newBaseManager(device);
        this.model = builder.buildInitialized(manager, seed);
        this.state = FlatState.adopt(model, manager, FlatState.Gradients.RECORDED);
    }

    @Override
    public void close() {
        manager.close();
    }
}
