package mobilevit.export;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;

import mobilevit.model.MobileViT;

import java.util.Map;

/** A model's state entries by CVNets name, read out as float64 values (exact for float32 parameters). */
final class ModelWeights {

    private final Map<String, NDArray> state;

    ModelWeights(MobileViT model) {
        state = model.state();
    }

    double[] values(String name) {
        try (NDArray wide = entry(name).toType(DataType.FLOAT64, true)) {
            return wide.toDoubleArray();
        }
    }

    /** The entry's values rounded to float32 (unchanged for a float32 model). */
    float[] floats(String name) {
        return toFloats(values(name));
    }

    long[] shape(String name) {
        return entry(name).getShape().getShape();
    }

    static float[] toFloats(double[] values) {
        float[] out = new float[values.length];
        for (int i = 0; i < values.length; i++) {
            out[i] = (float) values[i];
        }
        return out;
    }

    private NDArray entry(String name) {
        NDArray a = state.get(name);
        if (a == null) {
            throw new IllegalStateException("the model has no parameter " + name);
        }
        return a;
    }
}
