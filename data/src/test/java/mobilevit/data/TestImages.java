package mobilevit.data;

import mobilevit.data.codec.OpenCv;

import org.opencv.core.CvType;
import org.opencv.core.Mat;
import org.opencv.core.MatOfByte;
import org.opencv.core.MatOfInt;
import org.opencv.imgcodecs.Imgcodecs;

import java.nio.ByteBuffer;

/** Small encoded images made by the tests. */
public final class TestImages {

    private TestImages() {}

    /** An h x w BGR image whose pixel (y, x) is given by the function (3 bytes per pixel). */
    public static Mat image(int h, int w, PixelFunction f) {
        OpenCv.load();
        byte[] data = new byte[h * w * 3];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                for (int c = 0; c < 3; c++) {
                    data[(y * w + x) * 3 + c] = (byte) f.value(y, x, c);
                }
            }
        }
        Mat m = new Mat(h, w, CvType.CV_8UC3);
        m.put(0, 0, data);
        return m;
    }

    /** The bytes in a direct buffer, as the decoders take them. */
    public static ByteBuffer direct(byte[] bytes) {
        return ByteBuffer.allocateDirect(bytes.length).put(bytes).flip();
    }

    /** The bytes of a buffer from index 0 to its limit. */
    public static byte[] bytes(ByteBuffer buffer) {
        byte[] out = new byte[buffer.limit()];
        buffer.get(0, out);
        return out;
    }

    public static byte[] encode(Mat image, String extension, int... params) {
        MatOfByte out = new MatOfByte();
        Imgcodecs.imencode(extension, image, out, new MatOfInt(params));
        byte[] bytes = out.toArray();
        out.release();
        return bytes;
    }

    public static byte[] png(int h, int w, PixelFunction f) {
        Mat m = image(h, w, f);
        byte[] b = encode(m, ".png");
        m.release();
        return b;
    }

    public static byte[] jpeg(int h, int w, PixelFunction f) {
        Mat m = image(h, w, f);
        byte[] b = encode(m, ".jpg", Imgcodecs.IMWRITE_JPEG_QUALITY, 95);
        m.release();
        return b;
    }

    @FunctionalInterface
    public interface PixelFunction {
        int value(int y, int x, int channel);
    }
}
