package mobilevit.data.pipeline;

import mobilevit.data.codec.ImageDecoding;
import mobilevit.data.codec.JpegDecoder;
import mobilevit.data.codec.OpenCv;
import mobilevit.data.codec.PixelLimit;
import mobilevit.data.codec.UnreadableImageException;
import mobilevit.data.codec.Workspace;

import org.opencv.core.CvType;
import org.opencv.core.Mat;

import java.nio.ByteBuffer;
import java.nio.file.Path;

/**
 * The evaluation transform of CVNets v0.1: shorter side resized to {@code resize} (the longer to
 * {@code int(resize * long / short)}; untouched when the shorter side already has that length),
 * centre crop {@code crop} x {@code crop} at floor offsets, CHW, BGR: 8-bit planes in a batch, or
 * float32 values in [0, 1] (x / 255). Decoded at full resolution, as the reference does.
 */
public final class EvalTransform {

    /** The paper's shorter side before the centre crop. */
    public static final int PAPER_RESIZE = 288;
    /** The paper's centre crop, the side of the evaluation input. */
    public static final int PAPER_CROP = 256;

    private final int resize;
    private final int crop;
    private final Interpolation interpolation;
    private final JpegDecoder decoder;
    private final PixelLimit limit;

    /** With the best JPEG decoder installed ({@link JpegDecoder#best()}) and {@link PixelLimit#DEFAULT}. */
    public EvalTransform(int resize, int crop, Interpolation interpolation) {
        this(resize, crop, interpolation, JpegDecoder.best(), PixelLimit.DEFAULT);
    }

    /** {@code limit}: an image that claims more pixels is unreadable, found before decoding it. */
    public EvalTransform(int resize, int crop, Interpolation interpolation, JpegDecoder decoder, PixelLimit limit) {
        if (crop <= 0 || resize < crop) {
            throw new IllegalArgumentException("eval crop " + crop + " must be positive and at most the resize " + resize);
        }
        this.resize = resize;
        this.crop = crop;
        this.interpolation = interpolation;
        this.decoder = decoder;
        this.limit = limit;
    }

    /** The paper's evaluation: 288, centre 256, OpenCV bilinear. */
    public static EvalTransform paper() {
        return paper(Interpolation.BILINEAR);
    }

    /** The paper's sizes, 288 and centre 256, resized with {@code interpolation}. */
    public static EvalTransform paper(Interpolation interpolation) {
        return new EvalTransform(PAPER_RESIZE, PAPER_CROP, interpolation);
    }

    public int resize() {
        return resize;
    }

    public int crop() {
        return crop;
    }

    /** The number of values (bytes in a batch, floats from {@link #apply(byte[])}) of one image: 3 * crop * crop. */
    public int size() {
        return 3 * crop * crop;
    }

    /** Transforms one image file into {@code dst[offset, offset + size())}, read into the calling thread's reusable memory. */
    public void apply(Path file, ByteBuffer dst, int offset) throws UnreadableImageException {
        apply(Workspace.current().read(file), dst, offset);
    }

    /** As {@link #apply(Path, ByteBuffer, int)} for {@code encoded[0, limit)}, a direct buffer. */
    void apply(ByteBuffer encoded, ByteBuffer dst, int offset) throws UnreadableImageException {
        Mat image = ImageDecoding.decode(encoded, 1, decoder, limit);
        try {
            apply(image, dst, offset);
        } finally {
            image.release();
        }
    }

    /** The [3, crop, crop] float32 tensor of one encoded image, flattened. */
    public float[] apply(byte[] encoded) throws UnreadableImageException {
        ByteBuffer planes = ByteBuffer.allocateDirect(size());
        apply(Workspace.current().copy(encoded), planes, 0);
        return floats(planes);
    }

    /**
     * Transforms an already decoded image: 8-bit BGR pixels, row-major [height, width, 3] (for
     * images that arrive decoded, e.g. through DJL's {@code Image}); float32 as {@link #apply(byte[])}.
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
            ByteBuffer planes = ByteBuffer.allocateDirect(size());
            apply(image, planes, 0);
            return floats(planes);
        } finally {
            image.release();
        }
    }

    private void apply(Mat image, ByteBuffer dst, int offset) {
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
        Mat resized = image;
        if (outH != h || outW != w) {
            resized = Workspace.current().resized();
            RegionResize.resize(image, 0, 0, h, w, outH, outW, interpolation, resized);
        }
        int top = (outH - crop) / 2;
        int left = (outW - crop) / 2;
        Mat centre = resized.submat(top, top + crop, left, left + crop);
        try {
            Planes.write(centre, false, dst, offset);
        } finally {
            centre.release();
        }
    }

    private float[] floats(ByteBuffer planes) {
        float[] out = new float[size()];
        Planes.toFloats(planes, 0, out);
        return out;
    }
}
