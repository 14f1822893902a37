package mobilevit.data.codec;

import mobilevit.data.TestImages;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

public class ExifOrientationTest {

    private static final byte[] JPEG = TestImages.jpeg(16, 24, (y, x, c) -> 10 * x);

    @Test
    void aJpegWithoutExifIsUpright() {
        assertTrue(upright(JPEG));
    }

    @Test
    void orientationOneIsUprightInBothByteOrders() {
        assertTrue(upright(withOrientation(JPEG, 1, true)));
        assertTrue(upright(withOrientation(JPEG, 1, false)));
    }

    @Test
    void rotationsAndMirrorsAreNot() {
        for (int orientation = 2; orientation <= 8; orientation++) {
            assertFalse(upright(withOrientation(JPEG, orientation, true)), "orientation " + orientation);
            assertFalse(upright(withOrientation(JPEG, orientation, false)), "orientation " + orientation);
        }
    }

    @Test
    void exifWithoutTheTagIsUpright() {
        byte[] ifd = {'I', 'I', 42, 0, 8, 0, 0, 0, 1, 0, 0x0F, 0x01, 2, 0, 1, 0, 0, 0, 'x', 0, 0, 0, 0, 0, 0, 0};
        assertTrue(upright(withApp1(JPEG, exif(ifd))));
    }

    @Test
    void whatCannotBeReadIsLeftToOpenCv() {
        byte[] rotated = withOrientation(JPEG, 6, false);
        byte[] cut = Arrays.copyOf(rotated, 2 + 4 + 6 + 10); // the IFD is cut off
        assertFalse(upright(cut));
        assertFalse(upright(withApp1(JPEG, "http://ns.adobe.com/xap/1.0/\0<x:xmpmeta/>".getBytes(StandardCharsets.US_ASCII))));
    }

    private static boolean upright(byte[] jpeg) {
        return ExifOrientation.upright(TestImages.direct(jpeg));
    }

    /** {@code jpeg} with an EXIF block right after its SOI whose first IFD holds just the orientation. */
    public static byte[] withOrientation(byte[] jpeg, int orientation, boolean littleEndian) {
        byte[] tiff = littleEndian
                ? new byte[] {'I', 'I', 42, 0, 8, 0, 0, 0, 1, 0, 0x12, 0x01, 3, 0, 1, 0, 0, 0, (byte) orientation, 0, 0,
                    0, 0, 0, 0, 0}
                : new byte[] {'M', 'M', 0, 42, 0, 0, 0, 8, 0, 1, 0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, (byte) orientation, 0,
                    0, 0, 0, 0, 0};
        return withApp1(jpeg, exif(tiff));
    }

    private static byte[] exif(byte[] tiff) {
        byte[] out = new byte[6 + tiff.length];
        System.arraycopy("Exif\0\0".getBytes(StandardCharsets.US_ASCII), 0, out, 0, 6);
        System.arraycopy(tiff, 0, out, 6, tiff.length);
        return out;
    }

    private static byte[] withApp1(byte[] jpeg, byte[] payload) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(jpeg, 0, 2);
        int length = 2 + payload.length;
        out.write(new byte[] {(byte) 0xFF, (byte) 0xE1, (byte) (length >> 8), (byte) length}, 0, 4);
        out.write(payload, 0, payload.length);
        out.write(jpeg, 2, jpeg.length - 2);
        return out.toByteArray();
    }
}
