package mobilevit.data.pipeline;

import org.opencv.core.Core;
import org.opencv.core.CvType;
import org.opencv.core.Mat;

import java.nio.ByteBuffer;

/**
 * The batch layout: 8-bit HWC BGR pixels become CHW planes of bytes (channel order kept, as CVNets
 * v0.1 does), written straight into the batch's buffer; and their float32 values x / 255.
 */
final class Planes {

    /** x / 255 in float32 for every byte value: what {@code float32 / 255.0} gives in NumPy. */
    private static final float[] SCALE = new float[256];

    static {
        for (int i = 0; i < 256; i++) {
            SCALE[i] = i / 255.0f;
        }
    }

    private Planes() {}

    /**
     * Writes an 8-bit 3-channel image (a region of a larger one is fine) into
     * {@code dst[offset, offset + 3 * rows * cols)} as 3 planes of rows x cols bytes, mirrored
     * left-right when {@code flip} (which mirrors {@code hwc} itself, in place).
     */
    static void write(Mat hwc, boolean flip, ByteBuffer dst, int offset) {
        if (hwc.type() != CvType.CV_8UC3) {
            throw new IllegalArgumentException("expected an 8-bit 3-channel image, got " + CvType.typeToString(hwc.type()));
        }
        if (flip) {
            Core.flip(hwc, hwc, 1);
        }
        int rows = hwc.rows();
        int cols = hwc.cols();
        int plane = rows * cols;
        for (int c = 0; c < 3; c++) {
            Mat out = new Mat(rows, cols, CvType.CV_8UC1, dst.slice(offset + c * plane, plane));
            try {
                Core.extractChannel(hwc, out, c);
            } finally {
                out.release();
            }
        }
    }

    /** {@code dst[i] = src[from + i] / 255} in float32 for i in [0, dst.length). */
    static void toFloats(ByteBuffer src, int from, float[] dst) {
        for (int i = 0; i < dst.length; i++) {
            dst[i] = SCALE[src.get(from + i) & 0xFF];
        }
    }
}
