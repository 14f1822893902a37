package mobilevit.data;

import org.opencv.core.CvType;
import org.opencv.core.Mat;

/**
 * The evaluation transform of CVNets v0.1: shorter side resized to {@code resize} (the longer to
 * {@code int(resize * long / short)}; untouched when the shorter side already has that length),
 * centre crop {@code crop} x {@code crop} at floor offsets, float32 CHW, BGR, [0, 1]. Decoded at
 * full resolution, as the reference does.
 */
public final class EvalTransform {

    private final int resize;
    private final int crop;
    private final Interpolation interpolation;

    public EvalTransform(int resize, int crop, Interpolation interpolation) {
        if (crop <= 0 || resize < crop) {
            throw new IllegalArgumentException("eval crop " + crop + " must be positive and at most the resize " + resize);
        }
        this.resize = resize;
        this.crop = crop;
        this.interpolation = interpolation;
    }

    /** The paper's evaluation: 288, centre 256, OpenCV bilinear. */
    public static EvalTransform paper() {
        return new EvalTransform(288, 256, Interpolation.BILINEAR);
    }

    public int crop() {
        return crop;
    }

    /** The number of floats one image takes: 3 * crop * crop. */
    public int size() {
        return 3 * crop * crop;
    }

    /** Transforms one encoded image into {@code dst[offset, offset + size())}. */
    public void apply(byte[] encoded, float[] dst, int offset) throws UnreadableImageException {
        Mat image = ImageDecoding.decode(encoded, 1);
        try {
            apply(image, dst, offset);
        } finally {
            image.release();
        }
    }

    /**
     * Transforms an already decoded image: 8-bit BGR pixels, row-major [height, width, 3] (for
     * images that arrive decoded, e.g. through DJL's {@code Image}).
     */
    public float[] applyDecoded(byte[] bgr, int height, int width) {
        if (bgr.length != 3 * height * width) {
            throw new IllegalArgumentException("expected " + 3 * height * width + " BGR bytes for " + height + "x"
                    + width + ", got " + bgr.length);
        }
        OpenCv.load();
        Mat image = new Mat(height, width, CvType.CV_8UC3);
        try {
            image.put(0, 0, bgr);
            float[] out = new float[size()];
            apply(image, out, 0);
            return out;
        } finally {
            image.release();
        }
    }

    private void apply(Mat image, float[] dst, int offset) {
        int h = image.rows();
        int w = image.cols();
        int outH;
        int outW;
        if (w <= h && w == resize || h <= w && h == resize) {
            outH = h;
            outW = w;
        } else if (w < h) {
            outW = resize;
            outH = (int) ((double) (resize * h) / w);
        } else {
            outH = resize;
            outW = (int) ((double) (resize * w) / h);
        }
        byte[] pixels = outH == h && outW == w
                ? RegionResize.bytes(image)
                : RegionResize.resize(image, 0, 0, h, w, outH, outW, interpolation);
        ChwWriter.write(pixels, outW, (outH - crop) / 2, (outW - crop) / 2, crop, crop, false, dst, offset);
    }

    /** The [3, crop, crop] tensor of one encoded image, flattened. */
    public float[] apply(byte[] encoded) throws UnreadableImageException {
        float[] out = new float[size()];
        apply(encoded, out, 0);
        return out;
    }
}
