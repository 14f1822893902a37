package mobilevit.data;

import java.awt.image.BufferedImage;
import java.awt.image.DataBuffer;
import java.awt.image.Raster;
import java.awt.image.WritableRaster;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriter;
import javax.imageio.stream.ImageOutputStream;

/**
 * The kinds of broken or unusual files an ImageNet-like folder holds, written into a class folder:
 * some cannot be decoded at all and must be skipped and counted, the others must be used. Shared
 * with the fault-injection suite through this module's test jar.
 */
public final class BadImages {

    /** Files no decoder can read: skipped and counted. */
    public static final List<String> UNREADABLE = List.of("zero_bytes.JPEG", "header_only.JPEG", "html_text.JPEG");
    /** Odd but readable files: trained on and evaluated. */
    public static final List<String> READABLE = List.of("cut_in_scan.JPEG", "png_named.JPEG", "grayscale.JPEG",
            "cmyk.JPEG");
    /** A folder named like an image: not an image at all. */
    public static final String FOLDER = "folder.JPEG";

    private BadImages() {}

    /**
     * Writes the corpus into {@code classDir}, cutting the truncated ones from {@code goodJpeg}
     * (a JPEG of the dataset).
     */
    public static void write(Path classDir, Path goodJpeg) throws IOException {
        byte[] jpeg = Files.readAllBytes(goodJpeg);
        Files.write(classDir.resolve("zero_bytes.JPEG"), new byte[0]);
        Files.write(classDir.resolve("header_only.JPEG"), Arrays.copyOf(jpeg, 300));
        Files.writeString(classDir.resolve("html_text.JPEG"), "<html><body>404 Not Found</body></html>\n");
        Files.write(classDir.resolve("cut_in_scan.JPEG"), Arrays.copyOf(jpeg, jpeg.length * 2 / 3));
        Files.write(classDir.resolve("png_named.JPEG"), encode(gradient(BufferedImage.TYPE_3BYTE_BGR, 120, 90), "png"));
        Files.write(classDir.resolve("grayscale.JPEG"), encode(gradient(BufferedImage.TYPE_BYTE_GRAY, 140, 100),
                "jpeg"));
        Files.write(classDir.resolve("cmyk.JPEG"), cmykJpeg(110, 80));
        Files.createDirectories(classDir.resolve(FOLDER));
    }

    private static BufferedImage gradient(int type, int w, int h) {
        BufferedImage img = new BufferedImage(w, h, type);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                img.setRGB(x, y, (2 * x % 256) << 16 | (2 * y % 256) << 8 | ((x + y) % 256));
            }
        }
        return img;
    }

    private static byte[] encode(BufferedImage img, String format) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        if (!ImageIO.write(img, format, out)) {
            throw new IOException("no " + format + " writer");
        }
        return out.toByteArray();
    }

    /** A 4-component (CMYK) JPEG, written by the JDK's encoder from a raster. */
    private static byte[] cmykJpeg(int w, int h) throws IOException {
        WritableRaster r = Raster.createInterleavedRaster(DataBuffer.TYPE_BYTE, w, h, 4, null);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                r.setPixel(x, y, new int[] {2 * x % 256, 2 * y % 256, 60, 20});
            }
        }
        ImageWriter writer = ImageIO.getImageWritersByFormatName("jpeg").next();
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ImageOutputStream out = ImageIO.createImageOutputStream(bytes)) {
            writer.setOutput(out);
            writer.write(null, new IIOImage(r, null, null), null);
        } finally {
            writer.dispose();
        }
        return bytes.toByteArray();
    }
}
