package mobilevit.data;

import org.opencv.core.Mat;

import java.util.function.Supplier;

/**
 * The training augmentation of the paper (CVNets v0.1): RandomResizedCrop, resize of the crop to the
 * batch's (height, width), horizontal flip with probability 0.5; output float32 CHW, BGR, [0, 1].
 *
 * <p>When the crop is at least 2, 4 or 8 times the output in both directions, a JPEG is decoded at
 * 1/2, 1/4 or 1/8 resolution (by libjpeg, while decoding) and the crop box is scaled by the same
 * factor, so the same region of the picture is used; only the resampling filter changes.
 */
public final class TrainTransform {

    /** CVNets' RandomHorizontalFlip flips when {@code random.random() <= 0.5}. */
    private static final double FLIP_PROBABILITY = 0.5;
    private static final int[] REDUCTIONS = {8, 4, 2};

    private final RandomResizedCrop crop;
    private final Interpolation interpolation;
    private final boolean reducedDecoding;

    public TrainTransform(RandomResizedCrop.Variant variant, Interpolation interpolation, boolean reducedDecoding) {
        this.crop = new RandomResizedCrop(variant);
        this.interpolation = interpolation;
        this.reducedDecoding = reducedDecoding;
    }

    /** The paper's transform: CVNets v0.1 crop, OpenCV bilinear, reduced-resolution decoding on. */
    public static TrainTransform paper() {
        return new TrainTransform(RandomResizedCrop.Variant.CVNETS_V01, Interpolation.BILINEAR, true);
    }

    /**
     * Transforms one encoded image into {@code dst[offset, offset + 3 * outH * outW)}. The draws
     * come from {@code draws}: crop first, then the flip. The source is asked again (and must give
     * the same draws) only when the JPEG header's size is not the decoded size (EXIF rotation).
     */
    public void apply(byte[] encoded, int outH, int outW, Supplier<RandomDraws> draws, float[] dst, int offset)
            throws UnreadableImageException {
        Mat image = null;
        try {
            int[] header = reducedDecoding ? ImageDecoding.jpegSize(encoded) : null;
            if (header != null) {
                RandomDraws d = draws.get();
                CropBox box = crop.params(header[0], header[1], d);
                int reduction = reduction(box, outH, outW);
                image = ImageDecoding.decode(encoded, reduction);
                if (image.rows() == ceilDiv(header[0], reduction) && image.cols() == ceilDiv(header[1], reduction)) {
                    finish(image, box, reduction, d, outH, outW, dst, offset);
                    return;
                }
                image.release();
                image = null;
            }
            image = ImageDecoding.decode(encoded, 1);
            RandomDraws d = draws.get();
            finish(image, crop.params(image.rows(), image.cols(), d), 1, d, outH, outW, dst, offset);
        } finally {
            if (image != null) {
                image.release();
            }
        }
    }

    /** The largest decoding reduction (8, 4, 2, else 1) that keeps the crop at least the output size. */
    static int reduction(CropBox box, int outH, int outW) {
        for (int r : REDUCTIONS) {
            if (box.height() >= r * outH && box.width() >= r * outW) {
                return r;
            }
        }
        return 1;
    }

    private void finish(Mat image, CropBox box, int reduction, RandomDraws draws, int outH, int outW,
                        float[] dst, int offset) {
        double s = reduction;
        byte[] pixels = RegionResize.resize(image, box.top() / s, box.left() / s, box.height() / s, box.width() / s,
                outH, outW, interpolation);
        boolean flip = draws.uniform(0, 1) <= FLIP_PROBABILITY;
        ChwWriter.write(pixels, outW, 0, 0, outH, outW, flip, dst, offset);
    }

    private static int ceilDiv(int a, int b) {
        return (a + b - 1) / b;
    }
}
