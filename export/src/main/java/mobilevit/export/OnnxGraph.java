package mobilevit.export;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * An ONNX graph being built: nodes in order, initializers (float32 weights, int64 shapes), the
 * graph's inputs and outputs; written as a {@code GraphProto} with the field numbers of the ONNX
 * specification (onnx/onnx.proto, IR version 8). Every value has one producer, named after it.
 */
final class OnnxGraph {

    /** TensorProto.DataType. */
    static final int FLOAT = 1;
    static final int INT64 = 7;

    /** A dimension of a graph input or output: a fixed size or a named free one (the batch). */
    record Dim(String param, long value) {
        static Dim of(long value) {
            return new Dim(null, value);
        }

        static Dim named(String param) {
            return new Dim(param, 0);
        }
    }

    /** A node attribute (AttributeProto). */
    record Attribute(Proto proto) {
        // AttributeProto: name 1, f 2, i 3, s 4, ints 8, type 20; AttributeType FLOAT 1, INT 2, STRING 3, INTS 7
        static Attribute integer(String name, long value) {
            return new Attribute(new Proto().string(1, name).int64(20, 2).int64(3, value));
        }

        static Attribute real(String name, float value) {
            return new Attribute(new Proto().string(1, name).int64(20, 1).float32(2, value));
        }

        static Attribute string(String name, String value) {
            byte[] utf8 = value.getBytes(StandardCharsets.UTF_8);
            return new Attribute(new Proto().string(1, name).int64(20, 3).bytes(4, utf8));
        }

        static Attribute ints(String name, long... values) {
            Proto p = new Proto().string(1, name).int64(20, 7);
            for (long v : values) {
                p.int64(8, v);
            }
            return new Attribute(p);
        }
    }

    private final List<Proto> nodes = new ArrayList<>();
    private final List<Proto> initializers = new ArrayList<>();
    private final List<Proto> inputs = new ArrayList<>();
    private final List<Proto> outputs = new ArrayList<>();
    private final Set<String> names = new HashSet<>();

    /** Adds a graph input of float32 values. */
    String input(String name, Dim... dims) {
        claim(name);
        inputs.add(valueInfo(name, dims));
        return name;
    }

    /** Declares {@code name}, a node's output, as a graph output of float32 values. */
    void output(String name, Dim... dims) {
        outputs.add(valueInfo(name, dims));
    }

    /**
     * A node of the default domain with one output, {@code output}, which also names the node; an
     * empty input name leaves an optional input out.
     */
    String node(String opType, String output, List<String> in, Attribute... attributes) {
        claim(output);
        // NodeProto: input 1, output 2, name 3, op_type 4, attribute 5
        Proto node = new Proto();
        for (String i : in) {
            node.string(1, i);
        }
        node.string(2, output).string(3, output).string(4, opType);
        for (Attribute a : attributes) {
            node.message(5, a.proto());
        }
        nodes.add(node);
        return output;
    }

    /** A float32 initializer of the given shape (row-major values). */
    String floats(String name, float[] values, long... dims) {
        ByteBuffer raw = ByteBuffer.allocate(4 * values.length).order(ByteOrder.LITTLE_ENDIAN);
        raw.asFloatBuffer().put(values);
        return initializer(name, FLOAT, raw.array(), dims);
    }

    /** A 1-D int64 initializer (a Reshape's target shape, a size), one per distinct value list. */
    String int64s(long... values) {
        StringBuilder key = new StringBuilder("int64");
        for (long v : values) {
            key.append('_').append(v < 0 ? "m" + -v : Long.toString(v));
        }
        if (names.contains(key.toString())) {
            return key.toString();
        }
        ByteBuffer raw = ByteBuffer.allocate(8 * values.length).order(ByteOrder.LITTLE_ENDIAN);
        raw.asLongBuffer().put(values);
        return initializer(key.toString(), INT64, raw.array(), values.length);
    }

    private String initializer(String name, int dataType, byte[] raw, long... dims) {
        claim(name);
        // TensorProto: dims 1, data_type 2, name 8, raw_data 9 (little-endian)
        Proto t = new Proto();
        for (long d : dims) {
            t.int64(1, d);
        }
        initializers.add(t.int64(2, dataType).string(8, name).bytes(9, raw));
        return name;
    }

    /** GraphProto: node 1, name 2, initializer 5, input 11, output 12. */
    Proto toProto(String graphName) {
        Proto g = new Proto();
        nodes.forEach(n -> g.message(1, n));
        g.string(2, graphName);
        initializers.forEach(t -> g.message(5, t));
        inputs.forEach(i -> g.message(11, i));
        outputs.forEach(o -> g.message(12, o));
        return g;
    }

    private void claim(String name) {
        if (!names.add(name)) {
            throw new IllegalStateException("two values named " + name);
        }
    }

    /** ValueInfoProto (name 1, type 2) of a float32 tensor: TypeProto.tensor_type 1 {elem_type 1, shape 2}. */
    private static Proto valueInfo(String name, Dim... dims) {
        Proto shape = new Proto();
        for (Dim d : dims) {
            // TensorShapeProto.dim 1; Dimension: dim_value 1, dim_param 2
            shape.message(1, d.param() != null ? new Proto().string(2, d.param()) : new Proto().int64(1, d.value()));
        }
        Proto tensor = new Proto().int64(1, FLOAT).message(2, shape);
        return new Proto().string(1, name).message(2, new Proto().message(1, tensor));
    }
}
