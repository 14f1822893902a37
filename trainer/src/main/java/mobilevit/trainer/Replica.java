package mobilevit.trainer;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;

import mobilevit.model.MobileViT;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/** One full copy of the model on one device, with the manager that owns its parameters. */
final class Replica implements AutoCloseable {

    final int index;
    final Device device;
    final NDManager manager;
    final MobileViT model;
    /** Parameters that receive gradients, by CVNets name. */
    final Map<String, NDArray> trainable;
    /** Every state entry (trainable parameters and BatchNorm running statistics). */
    final Map<String, NDArray> state;

    Replica(int index, Device device, MobileViT.Builder builder, long seed) {
        this.index = index;
        this.device = device;
        this.manager = NDManager.newBaseManager(device);
        this.model = builder.buildInitialized(manager, seed);
        Map<String, NDArray> t = new LinkedHashMap<>();
        for (Map.Entry<String, Parameter> e : model.namedParameters().entrySet()) {
            if (e.getValue().requiresGradient()) {
                NDArray a = e.getValue().getArray();
                a.setRequiresGradient(true);
                t.put(e.getKey(), a);
            }
        }
        trainable = Collections.unmodifiableMap(t);
        state = model.state();
    }

    @Override
    public void close() {
        manager.close();
    }
}
