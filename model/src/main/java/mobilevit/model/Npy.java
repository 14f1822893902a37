package mobilevit.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * NumPy {@code .npy} (format 1.0 to 3.0) for tensors: little- and big-endian, C and Fortran order
 * (DJL's own reader refuses Fortran order), float32/64, int8/32/64, uint8 and bool.
 */
public final class Npy {

    private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
    private static final Pattern DESCR = Pattern.compile("'descr'\\s*:\\s*'([<>|=])([a-z])(\\d+)'");
    private static final Pattern FORTRAN = Pattern.compile("'fortran_order'\\s*:\\s*(True|False)");
    private static final Pattern SHAPE = Pattern.compile("'shape'\\s*:\\s*\\(([^)]*)\\)");

    private Npy() {}

    /**
     * Reads one array.
     *
     * @throws IOException if the stream is not an .npy array this reader understands (the
     *     message says what was found)
     */
    public static NDArray read(NDManager manager, InputStream stream) throws IOException {
        DataInputStream in = new DataInputStream(stream);
        byte[] magic = new byte[MAGIC.length];
        in.readFully(magic);
        if (!Arrays.equals(magic, MAGIC)) {
            throw new IOException("not a NumPy .npy file (bad magic bytes)");
        }
        int major = in.readUnsignedByte();
        in.readUnsignedByte();
        ByteBuffer lenBytes = ByteBuffer.wrap(new byte[major == 1 ? 2 : 4]).order(ByteOrder.LITTLE_ENDIAN);
        in.readFully(lenBytes.array());
        int headerLen = major == 1 ? Short.toUnsignedInt(lenBytes.getShort()) : lenBytes.getInt();
        byte[] headerBytes = new byte[headerLen];
        in.readFully(headerBytes);
        String header = new String(headerBytes, StandardCharsets.ISO_8859_1);

        Matcher d = DESCR.matcher(header);
        Matcher f = FORTRAN.matcher(header);
        Matcher s = SHAPE.matcher(header);
        if (!d.find() || !f.find() || !s.find()) {
            throw new IOException("unreadable .npy header: " + header.trim());
        }
        DataType type = dataType(d.group(2), Integer.parseInt(d.group(3)), header);
        ByteOrder order = d.group(1).equals(">") ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN;
        long[] dims = Arrays.stream(s.group(1).split(","))
                .map(String::trim).filter(t -> !t.isEmpty()).mapToLong(Long::parseLong).toArray();
        Shape shape = new Shape(dims);
        int elem = type.getNumOfBytes();
        byte[] data = new byte[Math.toIntExact(shape.size() * elem)];
        in.readFully(data);
        if (order == ByteOrder.BIG_ENDIAN && elem > 1) {
            swapBytes(data, elem);
        }
        if (f.group(1).equals("True") && dims.length > 1) {
            data = fortranToC(data, dims, elem);
        }
        ByteBuffer buffer = manager.allocateDirect(data.length);
        buffer.put(data).rewind();
        return manager.create(buffer, shape, type);
    }

    private static DataType dataType(String kind, int bytes, String header) throws IOException {
        switch (kind + bytes) {
            case "f4": return DataType.FLOAT32;
            case "f8": return DataType.FLOAT64;
            case "f2": return DataType.FLOAT16;
            case "i1": return DataType.INT8;
            case "i4": return DataType.INT32;
            case "i8": return DataType.INT64;
            case "u1": return DataType.UINT8;
            case "b1": return DataType.BOOLEAN;
            default: throw new IOException("unsupported .npy dtype in header " + header.trim());
        }
    }

    private static void swapBytes(byte[] data, int elem) {
        for (int i = 0; i < data.length; i += elem) {
            for (int a = i, b = i + elem - 1; a < b; a++, b--) {
                byte t = data[a];
                data[a] = data[b];
                data[b] = t;
            }
        }
    }

    /** Reorders column-major elements into row-major order. */
    private static byte[] fortranToC(byte[] data, long[] dims, int elem) {
        int n = dims.length;
        long[] fStride = new long[n];
        fStride[0] = 1;
        for (int k = 1; k < n; k++) {
            fStride[k] = fStride[k - 1] * dims[k - 1];
        }
        byte[] out = new byte[data.length];
        long[] idx = new long[n];
        int count = data.length / elem;
        for (int c = 0; c < count; c++) {
            long fo = 0;
            for (int k = 0; k < n; k++) {
                fo += idx[k] * fStride[k];
            }
            System.arraycopy(data, (int) fo * elem, out, c * elem, elem);
            for (int k = n - 1; k >= 0 && ++idx[k] == dims[k]; k--) {
                idx[k] = 0;
            }
        }
        return out;
    }

    /** Writes {@code array} as a little-endian, C-order .npy (format 1.0). */
    public static void write(NDArray array, OutputStream out) throws IOException {
        String descr;
        switch (array.getDataType()) {
            case FLOAT32: descr = "<f4"; break;
            case FLOAT64: descr = "<f8"; break;
            case INT32: descr = "<i4"; break;
            case INT64: descr = "<i8"; break;
            case UINT8: descr = "|u1"; break;
            default: throw new IllegalArgumentException("cannot write " + array.getDataType() + " as .npy");
        }
        long[] dims = array.getShape().getShape();
        String shape = dims.length == 1 ? "(" + dims[0] + ",)"
                : Arrays.stream(dims).mapToObj(Long::toString)
                        .reduce((a, b) -> a + ", " + b).map(x -> "(" + x + ")").orElse("()");
        StringBuilder header = new StringBuilder(String.format(Locale.ROOT,
                "{'descr': '%s', 'fortran_order': False, 'shape': %s, }", descr, shape));
        while ((MAGIC.length + 4 + header.length() + 1) % 64 != 0) {
            header.append(' ');
        }
        header.append('\n');
        out.write(MAGIC);
        out.write(1);
        out.write(0);
        out.write(header.length() & 0xff);
        out.write(header.length() >> 8);
        out.write(header.toString().getBytes(StandardCharsets.ISO_8859_1));
        ByteBuffer data = array.toByteBuffer().order(ByteOrder.nativeOrder());
        byte[] bytes = new byte[data.remaining()];
        data.get(bytes);
        if (ByteOrder.nativeOrder() == ByteOrder.BIG_ENDIAN && array.getDataType().getNumOfBytes() > 1) {
            swapBytes(bytes, array.getDataType().getNumOfBytes());
        }
        out.write(bytes);
    }
}
