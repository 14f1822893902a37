package mobilevit.model.weights;

import ai.djl.ndarray.types.DataType;

/** The {@code torch.*Storage} classes a {@code torch.save} pickle names for its storages, by element type. */
enum StorageType {
    DOUBLE("DoubleStorage", "float64", DataType.FLOAT64),
    FLOAT("FloatStorage", "float32", DataType.FLOAT32),
    HALF("HalfStorage", "float16", DataType.FLOAT16),
    BFLOAT16("BFloat16Storage", "bfloat16", DataType.BFLOAT16),
    LONG("LongStorage", "int64", DataType.INT64),
    INT("IntStorage", "int32", DataType.INT32),
    SHORT("ShortStorage", "int16", DataType.INT16),
    CHAR("CharStorage", "int8", DataType.INT8),
    BYTE("ByteStorage", "uint8", DataType.UINT8),
    BOOL("BoolStorage", "bool", DataType.BOOLEAN);

    /** The class name in module {@code torch}. */
    final String pythonName;
    /** The element type as {@code torch.dtype} names it. */
    final String dtype;
    final DataType dataType;

    StorageType(String pythonName, String dtype, DataType dataType) {
        this.pythonName = pythonName;
        this.dtype = dtype;
        this.dataType = dataType;
    }

    int elementBytes() {
        return dataType.getNumOfBytes();
    }

    /** The storage type named {@code torch.<name>}, or null. */
    static StorageType byName(String name) {
        for (StorageType t : values()) {
            if (t.pythonName.equals(name)) {
                return t;
            }
        }
        return null;
    }

    @Override
    public String toString() {
        return "torch." + pythonName;
    }
}
