package mobilevit.data.codec;

import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Pointer;

import org.opencv.core.CvType;
import org.opencv.core.Mat;
import org.opencv.core.MatOfByte;
import org.opencv.imgcodecs.Imgcodecs;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * Region decoding of a JPEG for a training crop: {@code libmobilevit_jpeg.so}, built from
 * {@code src/main/native/jpeg_region.c} and {@code jpeg_restarts.c} against libjpeg-turbo's
 * {@code libjpeg.so.62} and found by JNA on the class path. Only the crop's rows and columns are
 * transformed, and the entropy data below its last row is not read (nor, in a file with a restart
 * marker after every MCU, above it or beside it); the pixels written are those of a whole-image
 * decode. The library also writes such files ({@link RestartMarkers}).
 *
 * <p>Loading checks that: a small image decoded by region must equal OpenCV's whole decode, or
 * region decoding stays off (logged once), as it does when the library or libjpeg is missing.
 */
final class JpegRegion {

    private static final String LIBRARY = "mobilevit_jpeg";
    /** Where JNA looks for it on the class path (data/pom.xml puts it there). */
    private static final String RESOURCE = "linux-x86-64/libmobilevit_jpeg.so";
    private static final Logger LOG = LoggerFactory.getLogger(JpegRegion.class);

    private JpegRegion() {}

    private static final class Holder {
        static final boolean LOADED = load();
    }

    /** Whether region decoding is built, loads, and decodes as a whole-image decode does. */
    static boolean available() {
        return Holder.LOADED;
    }

    /**
     * Decodes the JPEG {@code jpeg[0, length)} at 1/reduction scale as BGR into {@code dst}, the whole
     * scaled image (dstHeight rows of 3 * dstWidth bytes); at least the rows [top, top + height) and
     * columns [left, left + width) get their values, other pixels may stay as they were. False when the
     * file must be decoded whole instead: CMYK/YCCK, another size than dstHeight x dstWidth, an error or
     * a warning (damaged data).
     */
    static boolean decode(long jpeg, int length, int reduction, int top, int left, int height, int width, long dst,
                          int dstWidth, int dstHeight) {
        return mobilevit_jpeg_decode_region(jpeg, length, reduction, top, left, height, width, dst, dstWidth,
                dstHeight) == 0;
    }

    /**
     * {@code jpeg[0, length)} re-encoded losslessly with a restart marker after every MCU, or null
     * when libjpeg cannot read it without an error or a warning.
     */
    static byte[] addRestarts(long jpeg, int length) {
        ByteBuffer result = ByteBuffer.allocateDirect(2 * Long.BYTES).order(ByteOrder.nativeOrder());
        long address = DirectBuffers.address(result);
        if (mobilevit_jpeg_add_restarts(jpeg, length, address, address + Long.BYTES) != 0) {
            return null;
        }
        long buffer = result.getLong(0);
        try {
            return new Pointer(buffer).getByteArray(0, Math.toIntExact(result.getLong(Long.BYTES)));
        } finally {
            mobilevit_jpeg_free(buffer);
        }
    }

    private static boolean load() {
        ClassLoader loader = JpegRegion.class.getClassLoader();
        if (loader.getResource(RESOURCE) == null) {
            LOG.info("training crops decode whole JPEGs (the same pixels, more slowly): this build has no {}; it is "
                    + "built where gcc and libjpeg62-turbo-dev are installed", RESOURCE);
            return false;
        }
        try {
            Native.register(JpegRegion.class, NativeLibrary.getInstance(LIBRARY, loader));
        } catch (UnsatisfiedLinkError e) {
            LOG.warn("training crops decode whole JPEGs (the same pixels, more slowly): {} does not load ({}); it "
                    + "needs libjpeg-turbo's libjpeg.so.62 (apt-get install libjpeg62-turbo)", RESOURCE,
                    e.getMessage().replace('\n', ' '));
            return false;
        }
        if (!decodesAsWholeImage()) {
            LOG.warn("training crops decode whole JPEGs: the installed libjpeg.so.62 decodes a region differently "
                    + "from a whole image (or cannot re-encode a JPEG with restart markers)");
            return false;
        }
        return true;
    }

    /**
     * A 4:2:0 test image (62 x 90) whose region [17, 45) x [21, 70) must decode as OpenCV decodes it
     * whole, from the file and from its restart-marked copy.
     */
    private static boolean decodesAsWholeImage() {
        OpenCv.load();
        int rows = 62;
        int cols = 90;
        byte[] pixels = new byte[rows * cols * 3];
        for (int i = 0; i < pixels.length; i++) {
            pixels[i] = (byte) (i * 7 % 251 + i / (3 * cols));
        }
        Mat image = new Mat(rows, cols, CvType.CV_8UC3);
        MatOfByte encoded = new MatOfByte();
        Mat whole = null;
        try {
            image.put(0, 0, pixels);
            Imgcodecs.imencode(".jpg", image, encoded);
            whole = Imgcodecs.imdecode(encoded, Imgcodecs.IMREAD_COLOR);
            byte[] expected = new byte[pixels.length];
            whole.get(0, 0, expected);
            byte[] bytes = encoded.toArray();
            ByteBuffer jpeg = ByteBuffer.allocateDirect(bytes.length).put(bytes);
            byte[] marked = addRestarts(DirectBuffers.address(jpeg), bytes.length);
            return marked != null && regionEquals(bytes, rows, cols, expected)
                    && regionEquals(marked, rows, cols, expected);
        } finally {
            image.release();
            encoded.release();
            if (whole != null) {
                whole.release();
            }
        }
    }

    private static boolean regionEquals(byte[] bytes, int rows, int cols, byte[] expected) {
        ByteBuffer jpeg = ByteBuffer.allocateDirect(bytes.length).put(bytes);
        ByteBuffer region = ByteBuffer.allocateDirect(expected.length);
        if (!decode(DirectBuffers.address(jpeg), bytes.length, 1, 17, 21, 28, 49, DirectBuffers.address(region),
                cols, rows)) {
            return false;
        }
        byte[] decoded = new byte[expected.length];
        region.get(0, decoded);
        for (int y = 17; y < 45; y++) {
            int from = 3 * (y * cols + 21);
            int to = 3 * (y * cols + 70);
            if (!Arrays.equals(expected, from, to, decoded, from, to)) {
                return false;
            }
        }
        return true;
    }

    // int mobilevit_jpeg_decode_region(const unsigned char *jpeg, unsigned long size, int reduction, int top,
    //     int left, int height, int width, unsigned char *dst, int dst_width, int dst_height)
    private static native int mobilevit_jpeg_decode_region(long jpeg, long size, int reduction, int top, int left,
                                                           int height, int width, long dst, int dstWidth,
                                                           int dstHeight);

    // int mobilevit_jpeg_add_restarts(const unsigned char *jpeg, unsigned long size, unsigned char **out,
    //     unsigned long *out_size)
    private static native int mobilevit_jpeg_add_restarts(long jpeg, long size, long out, long outSize);

    // void mobilevit_jpeg_free(unsigned char *buffer)
    private static native void mobilevit_jpeg_free(long buffer);
}
