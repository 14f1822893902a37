package mobilevit.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

class NpyTest {

    @Test
    void writeThenReadKeepsShapeAndValues() throws IOException {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray a = m.arange(24f).reshape(2, 3, 4);
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            Npy.write(a, out);
            assertEquals(0, (out.size() - 24 * 4) % 64, "header padded to 64 bytes");
            NDArray b = Npy.read(m, new ByteArrayInputStream(out.toByteArray()));
            assertEquals(new Shape(2, 3, 4), b.getShape());
            assertArrayEquals(a.toFloatArray(), b.toFloatArray());
        }
    }

    @Test
    void fortranOrderIsReorderedToRowMajor() throws IOException {
        // numpy.asfortranarray([[1, 2, 3], [4, 5, 6]], dtype='<i8') stores 1 4 2 5 3 6
        String header = "{'descr': '<i8', 'fortran_order': True, 'shape': (2, 3), }";
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, (byte) header.length(), 0});
        out.write(header.getBytes(StandardCharsets.US_ASCII));
        for (long v : new long[] {1, 4, 2, 5, 3, 6}) {
            for (int i = 0; i < 8; i++) {
                out.write((int) (v >> (8 * i)) & 0xff);
            }
        }
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray a = Npy.read(m, new ByteArrayInputStream(out.toByteArray()));
            assertArrayEquals(new long[] {1, 2, 3, 4, 5, 6}, a.toLongArray());
        }
    }
}
