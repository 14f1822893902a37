package mobilevit.data;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;

/** Reads the reference data in {@code fixtures/} (system property fixtures.dir, else ../fixtures). */
public final class Fixtures {

    private Fixtures() {}

    public static Path dir() {
        return Paths.get(System.getProperty("fixtures.dir", "../fixtures"));
    }

    public static Path file(String relative) {
        Path p = dir().resolve(relative);
        if (!Files.isRegularFile(p)) {
            throw new IllegalStateException("fixture " + p + " is missing");
        }
        return p;
    }

    public static JsonObject json(String relative) throws IOException {
        return JsonParser.parseString(Files.readString(file(relative))).getAsJsonObject();
    }

    /** A little-endian float32 .npy file (format 1.0), flattened in C order. */
    public static float[] npyFloats(String relative) throws IOException {
        try (InputStream in = Files.newInputStream(file(relative))) {
            DataInputStream d = new DataInputStream(in);
            byte[] magic = new byte[8];
            d.readFully(magic);
            int headerLength = Short.toUnsignedInt(Short.reverseBytes(d.readShort()));
            byte[] header = new byte[headerLength];
            d.readFully(header);
            String h = new String(header, StandardCharsets.US_ASCII);
            if (magic[6] != 1 || !h.contains("'descr': '<f4'") || !h.contains("'fortran_order': False")) {
                throw new IOException("not a v1 little-endian float32 C-order .npy: " + h);
            }
            byte[] body = d.readAllBytes();
            float[] out = new float[body.length / 4];
            ByteBuffer.wrap(body).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(out);
            return out;
        }
    }
}
