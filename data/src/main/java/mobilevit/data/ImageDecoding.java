package mobilevit.data;

import org.opencv.core.CvException;
import org.opencv.core.Mat;
import org.opencv.core.MatOfByte;
import org.opencv.imgcodecs.Imgcodecs;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Reading and decoding image files with OpenCV, as CVNets v0.1 did ({@code cv2.imread}, colour):
 * BGR order, grayscale becomes 3 equal channels, CMYK is converted, and the format is taken from the
 * content (a PNG named {@code .JPEG} decodes as PNG). EXIF orientation is applied, as imread does.
 */
public final class ImageDecoding {

    private ImageDecoding() {}

    /** The bytes of a file; any I/O problem (missing, a folder, permissions) makes it unreadable. */
    public static byte[] read(Path file) throws UnreadableImageException {
        try {
            return Files.readAllBytes(file);
        } catch (IOException | OutOfMemoryError e) {
            throw new UnreadableImageException("cannot read: " + e, e);
        }
    }

    /**
     * Decodes to an 8-bit 3-channel BGR image; {@code reduction} 2, 4 or 8 lets the JPEG decoder
     * scale by 1/reduction while decoding (output size ceil(side / reduction)). The caller releases
     * the returned Mat.
     */
    public static Mat decode(byte[] encoded, int reduction) throws UnreadableImageException {
        int flags = switch (reduction) {
            case 1 -> Imgcodecs.IMREAD_COLOR;
            case 2 -> Imgcodecs.IMREAD_REDUCED_COLOR_2;
            case 4 -> Imgcodecs.IMREAD_REDUCED_COLOR_4;
            case 8 -> Imgcodecs.IMREAD_REDUCED_COLOR_8;
            default -> throw new IllegalArgumentException("reduction must be 1, 2, 4 or 8, got " + reduction);
        };
        if (encoded.length == 0) {
            throw new UnreadableImageException("empty file");
        }
        OpenCv.load();
        MatOfByte buffer = new MatOfByte(encoded);
        try {
            Mat image = Imgcodecs.imdecode(buffer, flags);
            if (image.empty()) {
                image.release();
                throw new UnreadableImageException("not a decodable image (" + encoded.length + " bytes)");
            }
            return image;
        } catch (CvException e) {
            throw new UnreadableImageException("decoding failed: " + e.getMessage(), e);
        } finally {
            buffer.release();
        }
    }

    /**
     * The {height, width} that a baseline or progressive JPEG declares in its frame header, or null
     * when the bytes are not a JPEG (or the header is cut short). Reading it costs no decoding.
     */
    public static int[] jpegSize(byte[] b) {
        if (b.length < 4 || (b[0] & 0xFF) != 0xFF || (b[1] & 0xFF) != 0xD8) {
            return null;
        }
        int p = 2;
        while (p + 3 < b.length) {
            if ((b[p] & 0xFF) != 0xFF) {
                return null;
            }
            int marker = b[p + 1] & 0xFF;
            if (marker == 0xFF) { // fill byte
                p++;
                continue;
            }
            if (marker == 0x01 || marker >= 0xD0 && marker <= 0xD7) { // no length field
                p += 2;
                continue;
            }
            if (marker == 0xD9 || marker == 0xDA) { // end of image or start of scan before a frame
                return null;
            }
            int length = ((b[p + 2] & 0xFF) << 8) | (b[p + 3] & 0xFF);
            boolean frame = marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC;
            if (frame) {
                if (p + 8 >= b.length) {
                    return null;
                }
                int height = ((b[p + 5] & 0xFF) << 8) | (b[p + 6] & 0xFF);
                int width = ((b[p + 7] & 0xFF) << 8) | (b[p + 8] & 0xFF);
                return height > 0 && width > 0 ? new int[] {height, width} : null;
            }
            p += 2 + length;
        }
        return null;
    }
}
