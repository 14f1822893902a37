package mobilevit.model.weights;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;

import com.google.gson.Gson;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.Strictness;
import com.google.gson.stream.JsonReader;
import com.google.gson.stream.JsonToken;

import java.io.IOException;
import java.io.StringReader;
import java.math.BigDecimal;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/**
 * Reads a safetensors file (an 8-byte little-endian header length, a JSON header naming each
 * tensor's dtype, shape and byte range, then the data), checking the header against the file
 * before any tensor is made: every malformed file is refused with one line saying what is wrong.
 * bfloat16 and int16 tensors are read as float32 and int32 (see {@link Tensors}).
 */
public final class SafetensorsFile {

    private static final Map<String, DataType> DTYPES = Map.of("F64", DataType.FLOAT64, "F32", DataType.FLOAT32,
            "F16", DataType.FLOAT16, "BF16", DataType.BFLOAT16, "I64", DataType.INT64, "I32", DataType.INT32,
            "I16", DataType.INT16, "I8", DataType.INT8, "U8", DataType.UINT8, "BOOL", DataType.BOOLEAN);

    /** One tensor of the header; {@code begin} and {@code end} are offsets into the data after the header. */
    private record Entry(String name, DataType type, long[] shape, long begin, long end) {}

    private SafetensorsFile() {}

    /**
     * Every tensor of {@code bytes} (the whole file) in {@code manager}, in header order.
     *
     * @throws IllegalArgumentException naming {@code file} and what is wrong with it
     */
    public static NDList read(Path file, byte[] bytes, NDManager manager) {
        List<Entry> entries;
        long dataStart;
        try {
            if (bytes.length < 8) {
                throw new IllegalArgumentException("it has " + bytes.length + " bytes, fewer than the 8 of the header"
                        + " length");
            }
            long headerLength = ByteBuffer.wrap(bytes, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
            if (headerLength < 0 || headerLength > bytes.length - 8) {
                throw new IllegalArgumentException("the header length, " + Long.toUnsignedString(headerLength)
                        + " bytes, is beyond the end of the file (" + bytes.length + " bytes)");
            }
            dataStart = 8 + headerLength;
            entries = entries(header(bytes, (int) headerLength), bytes.length - dataStart);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(file + " is not a valid safetensors file: " + e.getMessage());
        }
        NDList out = new NDList();
        for (Entry e : entries) {
            ByteBuffer data = ByteBuffer.wrap(bytes, (int) (dataStart + e.begin), (int) (e.end - e.begin)).slice();
            out.add(Tensors.create(manager, e.name, data, e.shape, e.type));
        }
        return out;
    }

    private static JsonObject header(byte[] bytes, int length) {
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes, 8, length)).toString();
        } catch (CharacterCodingException e) {
            throw new IllegalArgumentException("the header is not UTF-8 text");
        }
        JsonElement json;
        try {
            JsonReader reader = new JsonReader(new StringReader(text));
            reader.setStrictness(Strictness.STRICT);
            json = new Gson().getAdapter(JsonElement.class).read(reader);
            if (reader.peek() != JsonToken.END_DOCUMENT) {
                throw new JsonParseException("trailing text");
            }
        } catch (IOException | JsonParseException | IllegalStateException e) {
            throw new IllegalArgumentException("the header (" + length + " bytes) is not valid JSON");
        }
        if (!json.isJsonObject()) {
            throw new IllegalArgumentException("the header is not a JSON object");
        }
        return json.getAsJsonObject();
    }

    /** The header's tensors, each checked against the data's {@code dataLength} bytes and against the others. */
    private static List<Entry> entries(JsonObject header, long dataLength) {
        List<Entry> entries = new ArrayList<>();
        for (Map.Entry<String, JsonElement> h : header.entrySet()) {
            String name = h.getKey();
            if (name.equals("__metadata__")) {
                continue;
            }
            if (!h.getValue().isJsonObject()) {
                throw new IllegalArgumentException("tensor '" + name + "' is not described by a JSON object");
            }
            JsonObject o = h.getValue().getAsJsonObject();
            JsonElement dtype = o.get("dtype");
            if (dtype == null || !dtype.isJsonPrimitive() || !dtype.getAsJsonPrimitive().isString()) {
                throw new IllegalArgumentException("tensor '" + name + "' has no dtype");
            }
            DataType type = DTYPES.get(dtype.getAsString());
            if (type == null) {
                throw new IllegalArgumentException("tensor '" + name + "' has an unknown dtype '" + dtype.getAsString()
                        + "' (known: " + String.join(", ", new java.util.TreeSet<>(DTYPES.keySet())) + ")");
            }
            long[] shape = integers(o.get("shape"), -1, name, "shape");
            long[] offsets = integers(o.get("data_offsets"), 2, name, "data_offsets");
            long bytes;
            try {
                long numel = 1;
                for (long d : shape) {
                    numel = Math.multiplyExact(numel, d);
                }
                bytes = Math.multiplyExact(numel, (long) type.getNumOfBytes());
            } catch (ArithmeticException e) {
                throw new IllegalArgumentException("tensor '" + name + "' has shape " + java.util.Arrays.toString(shape)
                        + ", more elements than any file holds");
            }
            if (offsets[0] > offsets[1] || offsets[1] > dataLength) {
                throw new IllegalArgumentException("tensor '" + name + "' has data_offsets [" + offsets[0] + ", "
                        + offsets[1] + "] outside the " + dataLength + " bytes of data");
            }
            if (offsets[1] - offsets[0] != bytes) {
                throw new IllegalArgumentException("tensor '" + name + "' has " + (offsets[1] - offsets[0])
                        + " bytes of data, but its shape " + java.util.Arrays.toString(shape) + " of "
                        + dtype.getAsString() + " needs " + bytes);
            }
            if (bytes > Integer.MAX_VALUE) {
                throw new IllegalArgumentException("tensor '" + name + "' has " + bytes + " bytes; tensors of more"
                        + " than 2 GiB are not supported");
            }
            entries.add(new Entry(name, type, shape, offsets[0], offsets[1]));
        }
        List<Entry> byOffset = new ArrayList<>(entries);
        byOffset.sort(Comparator.comparingLong(Entry::begin));
        for (int i = 1; i < byOffset.size(); i++) {
            Entry a = byOffset.get(i - 1);
            Entry b = byOffset.get(i);
            if (b.begin < a.end) {
                throw new IllegalArgumentException("tensors '" + a.name + "' (bytes " + a.begin + " to " + a.end
                        + ") and '" + b.name + "' (bytes " + b.begin + " to " + b.end + ") overlap");
            }
        }
        return entries;
    }

    /** A JSON array of non-negative integers ({@code count} of them, or any number when negative). */
    private static long[] integers(JsonElement e, int count, String name, String key) {
        if (e == null || !e.isJsonArray()) {
            throw new IllegalArgumentException("tensor '" + name + "' has no " + key + " list");
        }
        JsonArray a = e.getAsJsonArray();
        if (count >= 0 && a.size() != count) {
            throw new IllegalArgumentException("tensor '" + name + "' has " + a.size() + " " + key + ", not " + count);
        }
        long[] out = new long[a.size()];
        for (int i = 0; i < out.length; i++) {
            JsonElement v = a.get(i);
            long value;
            try {
                if (!v.isJsonPrimitive() || !v.getAsJsonPrimitive().isNumber()) {
                    throw new ArithmeticException();
                }
                value = new BigDecimal(v.getAsString()).longValueExact();
            } catch (ArithmeticException | NumberFormatException ex) {
                throw new IllegalArgumentException("tensor '" + name + "' has " + key + " " + a
                        + ", which is not a list of integers");
            }
            if (value < 0) {
                throw new IllegalArgumentException("tensor '" + name + "' has " + key + " " + a
                        + " with a negative number");
            }
            out[i] = value;
        }
        return out;
    }
}
