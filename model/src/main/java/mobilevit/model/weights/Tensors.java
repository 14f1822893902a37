package mobilevit.model.weights;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Named arrays from little-endian bytes. bfloat16 becomes float32 and int16 becomes int32, both
 * exactly: DJL 0.36's PyTorch engine aborts the process when asked to create either type.
 */
final class Tensors {

    private Tensors() {}

    static NDArray create(NDManager manager, String name, ByteBuffer littleEndian, long[] shape, DataType type) {
        ByteBuffer data = littleEndian.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        DataType made = type;
        if (type == DataType.BFLOAT16 || type == DataType.INT16) {
            made = type == DataType.BFLOAT16 ? DataType.FLOAT32 : DataType.INT32;
            ByteBuffer wide = ByteBuffer.allocateDirect(data.remaining() * 2).order(ByteOrder.LITTLE_ENDIAN);
            while (data.remaining() >= 2) {
                short v = data.getShort();
                wide.putInt(type == DataType.BFLOAT16 ? (v & 0xffff) << 16 : v); // bfloat16: float32's upper half
            }
            data = wide.flip();
        }
        Shape s = new Shape(shape);
        NDArray a = data.remaining() == 0 ? manager.zeros(s, made) : manager.create(data, s, made);
        a.setName(name);
        return a;
    }
}
