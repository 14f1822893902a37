package mobilevit.data.pipeline;

import org.opencv.core.Core;
import org.opencv.core.CvType;
import org.opencv.core.Mat;
import org.opencv.core.Size;
import org.opencv.imgproc.Imgproc;

/**
 * Resizes a region of a decoded 8-bit BGR image to the output size, into a given Mat (a worker's
 * reusable one). The region may have fractional bounds (a crop box scaled to a reduced-resolution
 * decode).
 */
final class RegionResize {

    private RegionResize() {}

    /** The region [top, top + height) x [left, left + width) of {@code image}, resized to outH x outW into {@code out}. */
    static void resize(Mat image, double top, double left, double height, double width, int outH, int outW,
                       Interpolation interpolation, Mat out) {
        switch (interpolation) {
            case BILINEAR -> opencv(image, top, left, height, width, outH, outW, out);
            case BILINEAR_ANTIALIAS -> {
                byte[] pixels = PilBilinear.resize(bytes(image), image.rows(), image.cols(),
                        left, top, left + width, top + height, outH, outW);
                out.create(outH, outW, CvType.CV_8UC3);
                out.put(0, 0, pixels);
            }
        }
    }

    /** The pixels of an 8-bit 3-channel image, HWC. */
    private static byte[] bytes(Mat image) {
        Mat continuous = image.isContinuous() ? image : image.clone();
        try {
            byte[] out = new byte[continuous.rows() * continuous.cols() * 3];
            continuous.get(0, 0, out);
            return out;
        } finally {
            if (continuous != image) {
                continuous.release();
            }
        }
    }

    private static void opencv(Mat image, double top, double left, double height, double width, int outH, int outW,
                               Mat out) {
        if (top == Math.rint(top) && left == Math.rint(left) && height == Math.rint(height) && width == Math.rint(width)) {
            // Exactly cv2.resize(img[i:i+h, j:j+w], (w_out, h_out), INTER_LINEAR) as CVNets v0.1 does it.
            Mat roi = image.submat((int) top, (int) (top + height), (int) left, (int) (left + width));
            try {
                Imgproc.resize(roi, out, new Size(outW, outH), 0, 0, Imgproc.INTER_LINEAR);
            } finally {
                roi.release();
            }
            return;
        }
        // The same half-pixel mapping as cv2.resize for a fractional region: out(x) samples
        // in(left + (x + 0.5) * width / outW - 0.5).
        double sx = width / outW;
        double sy = height / outH;
        Mat map = new Mat(2, 3, CvType.CV_64F);
        map.put(0, 0, sx, 0, left + 0.5 * sx - 0.5, 0, sy, top + 0.5 * sy - 0.5);
        try {
            Imgproc.warpAffine(image, out, map, new Size(outW, outH),
                    Imgproc.INTER_LINEAR | Imgproc.WARP_INVERSE_MAP, Core.BORDER_REPLICATE);
        } finally {
            map.release();
        }
    }
}
