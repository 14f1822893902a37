package mobilevit.data.codec;

import mobilevit.core.IntMath;

import org.opencv.core.CvException;
import org.opencv.core.CvType;
import org.opencv.core.Mat;
import org.opencv.imgcodecs.Imgcodecs;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Reading and decoding image files as CVNets v0.1 did ({@code cv2.imread}, colour): BGR order,
 * grayscale becomes 3 equal channels, CMYK is converted, the format is taken from the content (a
 * PNG named {@code .JPEG} decodes as PNG) and EXIF orientation is applied, as imread does. JPEGs go
 * through libjpeg-turbo's SIMD decoder when it is installed and gives the same pixels
 * ({@link JpegDecoder}); everything else through OpenCV. An image whose header claims more pixels
 * than a {@link PixelLimit} is unreadable.
 */
public final class ImageDecoding {

    private static final byte[] PNG_SIGNATURE = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
    private static final int IHDR = 0x49484452;

    private ImageDecoding() {}

    /** The bytes of a file; any I/O problem (missing, a folder, permissions) makes it unreadable. */
    public static byte[] read(Path file) throws UnreadableImageException {
        try {
            return Files.readAllBytes(file);
        } catch (IOException | OutOfMemoryError e) {
            throw new UnreadableImageException("cannot read: " + e, e);
        }
    }

    /** A decoded image: 8-bit BGR pixels, row-major [height, width, 3]. */
    public record Pixels(byte[] bgr, int height, int width) {}

    /**
     * Decodes an encoded image at full size, as the evaluation does (the best JPEG decoder installed,
     * {@link PixelLimit#DEFAULT}).
     */
    public static Pixels decode(byte[] encoded) throws UnreadableImageException {
        Mat image = decode(Workspace.current().copy(encoded), 1, JpegDecoder.best(), PixelLimit.DEFAULT);
        try {
            byte[] bgr = new byte[Math.multiplyExact(3 * image.cols(), image.rows())];
            image.get(0, 0, bgr);
            return new Pixels(bgr, image.rows(), image.cols());
        } finally {
            image.release();
        }
    }

    /**
     * Decodes {@code encoded[0, limit)} (a direct buffer) to an 8-bit 3-channel BGR image;
     * {@code reduction} 2, 4 or 8 lets the JPEG decoder scale by 1/reduction in the DCT domain
     * (output size ceil(side / reduction)); an image that claims more pixels than {@code limit} (at
     * full size) is unreadable. The caller releases the returned Mat; its pixels may live in the
     * calling thread's {@link Workspace} and last until that thread decodes again.
     */
    public static Mat decode(ByteBuffer encoded, int reduction, JpegDecoder decoder, PixelLimit limit)
            throws UnreadableImageException {
        int flags = switch (reduction) {
            case 1 -> Imgcodecs.IMREAD_COLOR;
            case 2 -> Imgcodecs.IMREAD_REDUCED_COLOR_2;
            case 4 -> Imgcodecs.IMREAD_REDUCED_COLOR_4;
            case 8 -> Imgcodecs.IMREAD_REDUCED_COLOR_8;
            default -> throw new IllegalArgumentException("reduction must be 1, 2, 4 or 8, got " + reduction);
        };
        if (!encoded.isDirect()) {
            throw new IllegalArgumentException("the encoded image must be in a direct buffer");
        }
        int length = encoded.limit();
        if (length == 0) {
            throw new UnreadableImageException("empty file");
        }
        limit.check(encoded);
        Workspace ws = Workspace.current();
        if (decoder == JpegDecoder.TURBOJPEG && TurboJpeg.available()) {
            Mat image = turbo(ws, encoded, reduction);
            if (image != null) {
                return image;
            }
        }
        Mat buffer = new Mat(1, length, CvType.CV_8UC1, encoded);
        try {
            Mat image = Imgcodecs.imdecode(buffer, flags);
            if (image.empty()) {
                image.release();
                throw new UnreadableImageException("not a decodable image (" + length + " bytes)");
            }
            return image;
        } catch (CvException e) {
            throw new UnreadableImageException("decoding failed: " + e.getMessage(), e);
        } finally {
            buffer.release();
        }
    }

    /**
     * As {@link #decode(ByteBuffer, int, JpegDecoder, PixelLimit)}, except that for a JPEG of the
     * given full size ({@link #jpegSize}) only the region [top, top + height) x [left, left + width)
     * of the scaled image need be decoded ({@link JpegRegion}, with {@link JpegDecoder#TURBOJPEG}):
     * the other pixels of the returned image are then left as the workspace held them. The region's
     * pixels are those of the whole decode, which this falls back to for anything region decoding
     * does not take.
     */
    public static Mat decodeRegion(ByteBuffer encoded, int reduction, int fullHeight, int fullWidth, int top,
                                   int left, int height, int width, JpegDecoder decoder, PixelLimit limit)
            throws UnreadableImageException {
        limit.check(fullHeight, fullWidth);
        if (decoder == JpegDecoder.TURBOJPEG && JpegDecoder.decodesRegions() && encoded.isDirect()
                && ExifOrientation.upright(encoded)) {
            int rows = IntMath.ceilDiv(fullHeight, reduction);
            int cols = IntMath.ceilDiv(fullWidth, reduction);
            ByteBuffer pixels = Workspace.current().pixels(Math.multiplyExact(3 * cols, rows));
            if (JpegRegion.decode(DirectBuffers.address(encoded), encoded.limit(), reduction, top, left, height, width,
                    DirectBuffers.address(pixels), cols, rows)) {
                return new Mat(rows, cols, CvType.CV_8UC3, pixels);
            }
        }
        return decode(encoded, reduction, decoder, limit);
    }

    /**
     * The TurboJPEG decode into the workspace, or null for what OpenCV must decode itself: not a
     * JPEG, CMYK/YCCK, an EXIF orientation to apply, or any error or warning (OpenCV then decodes
     * the damaged file as it always did, or reports it unreadable).
     */
    private static Mat turbo(Workspace ws, ByteBuffer encoded, int reduction) {
        int length = encoded.limit();
        if (length < 4 || (encoded.get(0) & 0xFF) != 0xFF || (encoded.get(1) & 0xFF) != 0xD8
                || reduction > 1 && !TurboJpeg.scales(reduction)) {
            return null;
        }
        long handle = ws.decompressor();
        long source = DirectBuffers.address(encoded);
        ByteBuffer info = ws.scratch();
        if (handle == 0) {
            return null;
        }
        if (!TurboJpeg.header(handle, source, length, ws.scratchAddress())) {
            ws.discardDecompressor();
            return null;
        }
        int colorspace = info.getInt(12);
        if (colorspace == TurboJpeg.COLORSPACE_CMYK || colorspace == TurboJpeg.COLORSPACE_YCCK
                || !ExifOrientation.upright(encoded)) {
            return null;
        }
        int width = IntMath.ceilDiv(info.getInt(0), reduction);
        int height = IntMath.ceilDiv(info.getInt(4), reduction);
        ByteBuffer pixels = ws.pixels(Math.multiplyExact(3 * width, height));
        if (!TurboJpeg.decodeBgr(handle, source, length, DirectBuffers.address(pixels), width, height)) {
            ws.discardDecompressor();
            return null;
        }
        return new Mat(height, width, CvType.CV_8UC3, pixels);
    }

    /**
     * The {height, width} that a JPEG or PNG claims in its header, read without decoding anything;
     * null for other formats.
     *
     * @throws UnreadableImageException for a JPEG or PNG whose header does not give its size, cut
     *     short or damaged: libpng refuses such a file, and libjpeg refuses it or, past stray bytes,
     *     finds a size with a warning, which nothing would then bound
     */
    static int[] claimedSize(ByteBuffer b) throws UnreadableImageException {
        if (b.limit() >= 2 && (b.get(0) & 0xFF) == 0xFF && (b.get(1) & 0xFF) == 0xD8) {
            return sizeOrDamaged(jpegSize(b), "damaged JPEG header: no frame size before the image data");
        }
        if (isPng(b)) {
            return sizeOrDamaged(pngSize(b), "damaged PNG header: no IHDR chunk with a size");
        }
        return null;
    }

    private static int[] sizeOrDamaged(int[] size, String damaged) throws UnreadableImageException {
        if (size == null) {
            throw new UnreadableImageException(damaged);
        }
        return size;
    }

    /**
     * The {height, width} that a baseline or progressive JPEG declares in its frame header, or null
     * when the bytes {@code b[0, limit)} are not a JPEG (or the header is cut short). Reading it costs
     * no decoding.
     */
    public static int[] jpegSize(ByteBuffer b) {
        int end = b.limit();
        if (end < 4 || (b.get(0) & 0xFF) != 0xFF || (b.get(1) & 0xFF) != 0xD8) {
            return null;
        }
        // a frame header: SOF0-SOF15 except DHT (C4), JPG (C8) and DAC (CC)
        int p = JpegSegments.find(b, marker -> marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8
                && marker != 0xCC);
        if (p >= 0 && p + 8 < end) {
            int height = ((b.get(p + 5) & 0xFF) << 8) | (b.get(p + 6) & 0xFF);
            int width = ((b.get(p + 7) & 0xFF) << 8) | (b.get(p + 8) & 0xFF);
            return height > 0 && width > 0 ? new int[] {height, width} : null;
        }
        return null;
    }

    /**
     * The {height, width} in a PNG's IHDR chunk (the first chunk, after the 8-byte signature: its
     * length, its type, then width and height, big-endian), or null when the bytes are not a PNG or
     * a side is not in [1, 2^31 - 1] (libpng refuses those itself).
     */
    static int[] pngSize(ByteBuffer b) {
        if (b.limit() < 24 || !isPng(b) || bigEndianInt(b, 12) != IHDR) {
            return null;
        }
        int width = bigEndianInt(b, 16);
        int height = bigEndianInt(b, 20);
        return height > 0 && width > 0 ? new int[] {height, width} : null;
    }

    private static boolean isPng(ByteBuffer b) {
        return b.limit() >= PNG_SIGNATURE.length
                && b.slice(0, PNG_SIGNATURE.length).equals(ByteBuffer.wrap(PNG_SIGNATURE));
    }

    private static int bigEndianInt(ByteBuffer b, int at) {
        return (b.get(at) & 0xFF) << 24 | (b.get(at + 1) & 0xFF) << 16 | (b.get(at + 2) & 0xFF) << 8
                | b.get(at + 3) & 0xFF;
    }
}
