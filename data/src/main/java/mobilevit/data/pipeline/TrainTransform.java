package mobilevit.data.pipeline;

import mobilevit.core.IntMath;
import mobilevit.data.codec.ImageDecoding;
import mobilevit.data.codec.JpegDecoder;
import mobilevit.data.codec.PixelLimit;
import mobilevit.data.codec.UnreadableImageException;
import mobilevit.data.codec.Workspace;

import mobilevit.core.Choice;

import org.opencv.core.Mat;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.function.Supplier;

/**
 * The training augmentation of the paper (CVNets v0.1): RandomResizedCrop, resize of the crop to the
 * batch's (height, width), horizontal flip with probability 0.5; output 8-bit CHW planes, BGR,
 * written straight into the batch's buffer (the model divides by 255 on its device).
 *
 * <p>When the crop is at least 2, 4 or 8 times the output in both directions, a JPEG is decoded at
 * 1/2, 1/4 or 1/8 resolution (by libjpeg's DCT scaling, while decoding) and the crop box is scaled
 * by the same factor, so the same region of the picture is used; only the resampling filter
 * changes. libjpeg-turbo also scales by 3/8, 5/8, 3/4 and 7/8, but those are no faster: 5/8, 3/4
 * and 7/8 decode a 500x375 JPEG in 1.0, 1.1 and 1.3 ms against 0.87 ms at full size (their IDCTs
 * have no SIMD code), and 3/8 takes as long as 1/2. So the reductions are those OpenCV offers too,
 * and both decoders give the same pixels.
 */
public final class TrainTransform {

    /** CVNets' RandomHorizontalFlip flips when {@code random.random() <= 0.5}. */
    private static final double FLIP_PROBABILITY = 0.5;
    private static final int[] REDUCTIONS = {8, 4, 2};

    /** How much of a JPEG is decoded for a training crop. */
    public enum Decoding implements Choice {
        /**
         * only the rows and columns of the crop (and a margin), at REDUCED's scale (libjpeg-turbo,
         * where {@link JpegDecoder#decodesRegions()}): the same pixels as REDUCED, with the IDCT of the
         * rest and the entropy decoding below the crop skipped. With {@link Interpolation#BILINEAR} only, whose resize reads
         * at most one pixel outside the crop; otherwise as REDUCED.
         */
        REGION,
        /** DCT-domain 1/2, 1/4 or 1/8 decoding when the crop needs no more pixels (libjpeg-turbo) */
        REDUCED,
        /** always the full-size image (the reference for what REDUCED costs in accuracy) */
        FULL;

        /** Parses {@code region}, {@code reduced} or {@code full}. */
        public static Decoding parse(String text) {
            return Choice.parse(Decoding.class, text,
                    t -> "decoding must be " + Choice.alternatives(Decoding.class) + ", got '" + t + "'");
        }
    }

    private final RandomResizedCrop crop;
    private final Interpolation interpolation;
    private final Decoding decoding;
    private final JpegDecoder decoder;
    private final PixelLimit limit;

    /** With the best JPEG decoder installed ({@link JpegDecoder#best()}) and {@link PixelLimit#DEFAULT}. */
    public TrainTransform(RandomResizedCrop.Variant variant, Interpolation interpolation, Decoding decoding) {
        this(variant, interpolation, decoding, JpegDecoder.best(), PixelLimit.DEFAULT);
    }

    /** {@code limit}: an image that claims more pixels is unreadable, found before decoding it. */
    public TrainTransform(RandomResizedCrop.Variant variant, Interpolation interpolation, Decoding decoding,
                          JpegDecoder decoder, PixelLimit limit) {
        this.crop = new RandomResizedCrop(variant);
        this.interpolation = interpolation;
        this.decoding = decoding;
        this.decoder = decoder;
        this.limit = limit;
    }

    /** The paper's transform: CVNets v0.1 crop, OpenCV bilinear, region and reduced-resolution decoding on. */
    public static TrainTransform paper() {
        return new TrainTransform(RandomResizedCrop.Variant.CVNETS_V01, Interpolation.BILINEAR, Decoding.REGION);
    }

    /**
     * Transforms one image file into {@code dst[offset, offset + 3 * outH * outW)}, reading it into
     * the calling thread's reusable memory. The draws come from {@code draws}: crop first, then the
     * flip. The source is asked again (and must give the same draws) only when the JPEG header's
     * size is not the decoded size (EXIF rotation).
     */
    public void apply(Path file, int outH, int outW, Supplier<RandomDraws> draws, ByteBuffer dst, int offset)
            throws UnreadableImageException {
        apply(Workspace.current().read(file), outH, outW, draws, dst, offset);
    }

    /** As {@link #apply(Path, int, int, Supplier, ByteBuffer, int)} for {@code encoded[0, limit)}, a direct buffer. */
    void apply(ByteBuffer encoded, int outH, int outW, Supplier<RandomDraws> draws, ByteBuffer dst, int offset)
            throws UnreadableImageException {
        Mat image = null;
        try {
            int[] header = decoding != Decoding.FULL ? ImageDecoding.jpegSize(encoded) : null;
            if (header != null) {
                RandomDraws d = draws.get();
                CropBox box = crop.params(header[0], header[1], d);
                int reduction = reduction(box, outH, outW);
                image = decoding == Decoding.REGION && interpolation == Interpolation.BILINEAR
                        ? decodeCrop(encoded, header, box, reduction)
                        : ImageDecoding.decode(encoded, reduction, decoder, limit);
                if (image.rows() == IntMath.ceilDiv(header[0], reduction)
                        && image.cols() == IntMath.ceilDiv(header[1], reduction)) {
                    finish(image, box, reduction, d, outH, outW, dst, offset);
                    return;
                }
                image.release();
                image = null;
            }
            image = ImageDecoding.decode(encoded, 1, decoder, limit);
            RandomDraws d = draws.get();
            finish(image, crop.params(image.rows(), image.cols(), d), 1, d, outH, outW, dst, offset);
        } finally {
            if (image != null) {
                image.release();
            }
        }
    }

    /**
     * The decode of the crop's region at 1/reduction scale, one pixel wider on every side: the
     * bilinear resize of a scaled box samples at most half a pixel past its edges.
     */
    private Mat decodeCrop(ByteBuffer encoded, int[] header, CropBox box, int reduction) throws UnreadableImageException {
        int top = box.top() / reduction - 1;
        int left = box.left() / reduction - 1;
        int bottom = IntMath.ceilDiv(box.top() + box.height(), reduction) + 1;
        int right = IntMath.ceilDiv(box.left() + box.width(), reduction) + 1;
        return ImageDecoding.decodeRegion(encoded, reduction, header[0], header[1], top, left, bottom - top,
                right - left, decoder, limit);
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
                        ByteBuffer dst, int offset) {
        double s = reduction;
        Mat resized = Workspace.current().resized();
        RegionResize.resize(image, box.top() / s, box.left() / s, box.height() / s, box.width() / s,
                outH, outW, interpolation, resized);
        boolean flip = draws.uniform(0, 1) <= FLIP_PROBABILITY;
        Planes.write(resized, flip, dst, offset);
    }
}
