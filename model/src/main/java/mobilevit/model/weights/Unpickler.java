package mobilevit.model.weights;

import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * The subset of Python's unpickler that {@code torch.load(weights_only=True)} allows, for the
 * {@code data.pkl} of a {@code torch.save} archive. It builds plain values only: None, bools, ints
 * (as {@code Long}), floats ({@code Double}), strings, tuples ({@link PyTuple}), lists and dicts,
 * storages through the persistent-id callback, and tensors ({@link TensorRef}) through
 * {@code torch._utils._rebuild_tensor_v2} and {@code _rebuild_parameter}. Any other global or
 * opcode ends the load with an {@link IllegalArgumentException} naming it; nothing is ever
 * looked up or called by name.
 */
final class Unpickler {

    private static final String CALLABLES = "collections.OrderedDict, torch._utils._rebuild_tensor_v2,"
            + " torch._utils._rebuild_parameter";

    private final byte[] data;
    private final Function<PyTuple, StorageRef> persistentLoad;
    private final List<Object> stack = new ArrayList<>();
    private final List<Integer> marks = new ArrayList<>();
    private final Map<Long, Object> memo = new HashMap<>();
    private int pos;
    private int opcodeAt;

    /**
     * @param persistentLoad turns a {@code BINPERSID} id, {@code ('storage', type, key, location, numel)}, into a storage
     */
    Unpickler(byte[] data, Function<PyTuple, StorageRef> persistentLoad) {
        this.data = data;
        this.persistentLoad = persistentLoad;
    }

    /** Runs the pickle to its STOP and returns the value it built. */
    Object load() {
        while (true) {
            opcodeAt = pos;
            int b = u8();
            PickleOpcode op = PickleOpcode.of(b);
            if (op == null) {
                throw fail(String.format("byte 0x%02x is not a pickle opcode", b));
            }
            switch (op) {
                case PROTO -> {
                    int version = u8();
                    if (version > 5) {
                        throw fail("pickle protocol " + version + " is unknown");
                    }
                }
                case FRAME -> skip(8);
                case STOP -> {
                    if (stack.size() != 1 || !marks.isEmpty()) {
                        throw fail("STOP with " + stack.size() + " values on the stack");
                    }
                    return stack.get(0);
                }
                case MARK -> marks.add(stack.size());
                case NONE -> push(null);
                case NEWTRUE -> push(Boolean.TRUE);
                case NEWFALSE -> push(Boolean.FALSE);
                case BININT -> push((long) ByteBuffer.wrap(bytes(4)).order(ByteOrder.LITTLE_ENDIAN).getInt());
                case BININT1 -> push((long) u8());
                case BININT2 -> push((long) (u8() | u8() << 8));
                case LONG1 -> push(long1(u8()));
                case BINFLOAT -> push(ByteBuffer.wrap(bytes(8)).order(ByteOrder.BIG_ENDIAN).getDouble());
                case SHORT_BINUNICODE -> push(utf8(u8()));
                case BINUNICODE -> push(utf8(length(4)));
                case BINUNICODE8 -> push(utf8(length(8)));
                case EMPTY_TUPLE -> push(new PyTuple(List.of()));
                case TUPLE1, TUPLE2, TUPLE3 -> {
                    int n = op.ordinal() - PickleOpcode.TUPLE1.ordinal() + 1;
                    if (stack.size() - floor() < n) {
                        throw fail(op + " needs " + n + " values on the stack");
                    }
                    List<Object> items = new ArrayList<>(stack.subList(stack.size() - n, stack.size()));
                    stack.subList(stack.size() - n, stack.size()).clear();
                    push(new PyTuple(items));
                }
                case TUPLE -> push(new PyTuple(popMark()));
                case EMPTY_LIST -> push(new ArrayList<>());
                case APPEND -> {
                    Object value = pop();
                    list(peek(), op).add(value);
                }
                case APPENDS -> {
                    List<Object> values = popMark();
                    list(peek(), op).addAll(values);
                }
                case EMPTY_DICT -> push(new LinkedHashMap<>());
                case SETITEM -> {
                    Object value = pop();
                    Object key = pop();
                    dict(peek(), op).put(key, value);
                }
                case SETITEMS -> {
                    List<Object> items = popMark();
                    if (items.size() % 2 != 0) {
                        throw fail("SETITEMS with an odd number of values");
                    }
                    Map<Object, Object> dict = dict(peek(), op);
                    for (int i = 0; i < items.size(); i += 2) {
                        dict.put(items.get(i), items.get(i + 1));
                    }
                }
                case BINPUT -> memo.put((long) u8(), peek());
                case LONG_BINPUT -> memo.put(length(4), peek());
                case MEMOIZE -> memo.put((long) memo.size(), peek());
                case BINGET -> push(memoized(u8()));
                case LONG_BINGET -> push(memoized(length(4)));
                case GLOBAL -> push(global(line(), line()));
                case STACK_GLOBAL -> {
                    Object name = pop();
                    Object module = pop();
                    if (!(module instanceof String m) || !(name instanceof String n)) {
                        throw fail("STACK_GLOBAL of a " + typeName(module) + " and a " + typeName(name));
                    }
                    push(global(m, n));
                }
                case BINPERSID -> {
                    Object id = pop();
                    if (!(id instanceof PyTuple t)) {
                        throw fail("persistent id is a " + typeName(id) + ", not a tuple");
                    }
                    push(persistentLoad.apply(t));
                }
                case REDUCE -> {
                    Object args = pop();
                    Object callable = pop();
                    if (!(args instanceof PyTuple t)) {
                        throw fail("REDUCE with arguments that are a " + typeName(args) + ", not a tuple");
                    }
                    push(call(callable, t));
                }
                case BUILD -> {
                    Object state = pop();
                    // a state_dict() is an OrderedDict whose __dict__ holds _metadata (module versions)
                    if (!(peek() instanceof Map) || !(state instanceof Map)) {
                        throw fail("BUILD sets the state of a " + typeName(peek()) + ", which a weights file may not do");
                    }
                }
                default -> throw fail("pickle opcode " + op + " is not allowed in a weights file");
            }
        }
    }

    private Object global(String module, String name) {
        if (module.equals("torch")) {
            StorageType storage = StorageType.byName(name);
            if (storage != null) {
                return storage;
            }
        }
        TorchGlobal g = TorchGlobal.of(module, name);
        if (g == null) {
            throw fail("global " + module + "." + name + " is not allowed in a weights file (only " + CALLABLES
                    + " and the torch.*Storage types are); nothing was executed");
        }
        return g;
    }

    private Object call(Object callable, PyTuple args) {
        if (!(callable instanceof TorchGlobal g)) {
            throw fail("REDUCE calls " + (callable instanceof StorageType ? callable : "a " + typeName(callable))
                    + ", which a weights file may not call (only " + CALLABLES + " are called); nothing was executed");
        }
        return switch (g) {
            case ORDERED_DICT -> {
                if (args.size() != 0) {
                    throw fail("collections.OrderedDict called with " + args.size() + " argument(s)");
                }
                yield new LinkedHashMap<>();
            }
            case REBUILD_TENSOR_V2 -> rebuildTensor(args);
            case REBUILD_PARAMETER -> {
                if (args.size() != 3 || !(args.get(0) instanceof TensorRef t) || !(args.get(1) instanceof Boolean)
                        || !isEmptyDict(args.get(2))) {
                    throw fail("torch._utils._rebuild_parameter called with " + describe(args));
                }
                yield t;
            }
        };
    }

    /** {@code (storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata])}. */
    private TensorRef rebuildTensor(PyTuple args) {
        if ((args.size() != 6 && args.size() != 7) || !(args.get(0) instanceof StorageRef storage)
                || !(args.get(1) instanceof Long offset) || !(args.get(2) instanceof PyTuple size)
                || !(args.get(3) instanceof PyTuple stride) || !(args.get(4) instanceof Boolean)
                || !isEmptyDict(args.get(5)) || size.size() != stride.size() || offset < 0) {
            throw fail("torch._utils._rebuild_tensor_v2 called with " + describe(args));
        }
        return new TensorRef(storage, offset, longs(size, "size"), longs(stride, "stride"));
    }

    private long[] longs(PyTuple t, String what) {
        long[] out = new long[t.size()];
        for (int i = 0; i < out.length; i++) {
            if (!(t.get(i) instanceof Long v) || v < 0) {
                throw fail("a tensor's " + what + " " + describe(t) + " is not a tuple of non-negative ints");
            }
            out[i] = v;
        }
        return out;
    }

    private static boolean isEmptyDict(Object o) {
        return o instanceof Map<?, ?> m && m.isEmpty();
    }

    private Object memoized(long index) {
        if (!memo.containsKey(index)) {
            throw fail("memo entry " + index + " is read before it is written");
        }
        return memo.get(index);
    }

    private Long long1(int n) {
        byte[] le = bytes(n);
        byte[] be = new byte[n];
        for (int i = 0; i < n; i++) {
            be[i] = le[n - 1 - i];
        }
        if (n == 0) {
            return 0L;
        }
        BigInteger v = new BigInteger(be);
        if (v.bitLength() > 63) {
            throw fail("integer " + v + " does not fit 64 bits");
        }
        return v.longValue();
    }

    private String utf8(long n) {
        byte[] b = bytes(n);
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(b)).toString();
        } catch (CharacterCodingException e) {
            throw fail("a string is not valid UTF-8");
        }
    }

    /** A GLOBAL operand: text up to a newline. */
    private String line() {
        int start = pos;
        while (pos < data.length && data[pos] != '\n') {
            pos++;
        }
        if (pos == data.length) {
            throw fail("data.pkl ends inside a GLOBAL");
        }
        return new String(data, start, pos++ - start, StandardCharsets.UTF_8);
    }

    private long length(int width) {
        long v = 0;
        for (int i = 0; i < width; i++) {
            v |= (long) u8() << (8 * i);
        }
        if (v < 0) {
            throw fail("a length does not fit 63 bits");
        }
        return v;
    }

    private byte[] bytes(long n) {
        if (n > data.length - pos) {
            throw fail("data.pkl ends inside an operand (" + n + " bytes wanted, " + (data.length - pos) + " left)");
        }
        byte[] b = java.util.Arrays.copyOfRange(data, pos, pos + (int) n);
        pos += (int) n;
        return b;
    }

    private void skip(int n) {
        bytes(n);
    }

    private int u8() {
        if (pos >= data.length) {
            throw fail("data.pkl ends before its STOP opcode");
        }
        return data[pos++] & 0xff;
    }

    private void push(Object o) {
        stack.add(o);
    }

    private int floor() {
        return marks.isEmpty() ? 0 : marks.get(marks.size() - 1);
    }

    private Object pop() {
        if (stack.size() <= floor()) {
            throw fail("a value is taken from an empty stack");
        }
        return stack.remove(stack.size() - 1);
    }

    private Object peek() {
        if (stack.size() <= floor()) {
            throw fail("a value is read from an empty stack");
        }
        return stack.get(stack.size() - 1);
    }

    private List<Object> popMark() {
        if (marks.isEmpty()) {
            throw fail("no MARK to collect values up to");
        }
        int from = marks.remove(marks.size() - 1);
        List<Object> items = new ArrayList<>(stack.subList(from, stack.size()));
        stack.subList(from, stack.size()).clear();
        return items;
    }

    @SuppressWarnings("unchecked")
    private List<Object> list(Object o, PickleOpcode op) {
        if (!(o instanceof ArrayList)) {
            throw fail(op + " on a " + typeName(o) + ", not a list");
        }
        return (List<Object>) o;
    }

    @SuppressWarnings("unchecked")
    private Map<Object, Object> dict(Object o, PickleOpcode op) {
        if (!(o instanceof Map)) {
            throw fail(op + " on a " + typeName(o) + ", not a dict");
        }
        return (Map<Object, Object>) o;
    }

    /** The Python type of an unpickled value, for messages. */
    static String typeName(Object o) {
        if (o == null) {
            return "None";
        } else if (o instanceof Boolean) {
            return "bool";
        } else if (o instanceof Long) {
            return "int";
        } else if (o instanceof Double) {
            return "float";
        } else if (o instanceof String) {
            return "str";
        } else if (o instanceof PyTuple) {
            return "tuple";
        } else if (o instanceof List) {
            return "list";
        } else if (o instanceof Map) {
            return "dict";
        } else if (o instanceof TensorRef) {
            return "tensor";
        } else if (o instanceof StorageRef) {
            return "storage";
        }
        return o.toString(); // an allowed global or storage type
    }

    private static String describe(PyTuple args) {
        List<String> types = new ArrayList<>();
        for (Object a : args.items()) {
            types.add(typeName(a));
        }
        return "(" + String.join(", ", types) + ")";
    }

    private IllegalArgumentException fail(String what) {
        return new IllegalArgumentException("data.pkl, byte " + opcodeAt + ": " + what);
    }
}
