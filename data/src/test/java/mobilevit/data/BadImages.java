package mobilevit.data;

import mobilevit.data.codec.PixelLimit;

import java.awt.image.BufferedImage;
import java.awt.image.DataBuffer;
import java.awt.image.Raster;
import java.awt.image.WritableRaster;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.zip.CRC32;
import java.util.zip.Deflater;
import java.util.zip.DeflaterOutputStream;

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

    /**
     * Files no decoder can read, or none should (they claim more pixels than the limit in their
     * header, {@link PixelLimit}): skipped and counted.
     */
    public static final List<String> UNREADABLE = List.of("zero_bytes.JPEG", "header_only.JPEG", "html_text.JPEG",
            "claims_65000x65000.JPEG", "claims_20000x20000.png");
    /** The part of the skip reason of the files that claim too many pixels, after their size. */
    public static final String OVER_THE_LIMIT = " pixels, more than the limit of 89478485 (data.max_image_pixels)";
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
        Files.write(classDir.resolve("claims_65000x65000.JPEG"), withFrameSize(jpeg, 65000, 65000));
        Files.write(classDir.resolve("claims_20000x20000.png"), blackPng(20000, 20000));
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

    /** The JPEG with another height and width in its frame header (SOF0 or SOF2), its data unchanged. */
    static byte[] withFrameSize(byte[] jpeg, int height, int width) {
        byte[] out = jpeg.clone();
        int p = 2;
        while ((out[p + 1] & 0xFF) != 0xC0 && (out[p + 1] & 0xFF) != 0xC2) {
            p += 2 + ((out[p + 2] & 0xFF) << 8 | out[p + 3] & 0xFF);
        }
        out[p + 5] = (byte) (height >> 8);
        out[p + 6] = (byte) height;
        out[p + 7] = (byte) (width >> 8);
        out[p + 8] = (byte) width;
        return out;
    }

    /**
     * A valid PNG of width x height black pixels, 1-bit grey: rows of zeros deflate about 1000 to 1, so
     * 20000x20000 takes 49 KB, which decoders expand to 3 bytes a pixel (1.2 GB).
     */
    public static byte[] blackPng(int width, int height) throws IOException {
        ByteArrayOutputStream png = new ByteArrayOutputStream();
        png.write(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'});
        // bit depth 1, colour type 0 (grey), then the default compression, filtering and no interlace
        chunk(png, "IHDR", ByteBuffer.allocate(13).putInt(width).putInt(height).put((byte) 1).array());
        ByteArrayOutputStream idat = new ByteArrayOutputStream();
        Deflater deflater = new Deflater(Deflater.BEST_COMPRESSION);
        try (DeflaterOutputStream z = new DeflaterOutputStream(idat, deflater, 1 << 16)) {
            byte[] row = new byte[1 + (width + 7) / 8]; // filter type 0 (none), then the row's bits
            for (int y = 0; y < height; y++) {
                z.write(row);
            }
        } finally {
            deflater.end();
        }
        chunk(png, "IDAT", idat.toByteArray());
        chunk(png, "IEND", new byte[0]);
        return png.toByteArray();
    }

    private static void chunk(ByteArrayOutputStream png, String type, byte[] data) throws IOException {
        byte[] name = type.getBytes(StandardCharsets.US_ASCII);
        CRC32 crc = new CRC32();
        crc.update(name);
        crc.update(data);
        DataOutputStream out = new DataOutputStream(png);
        out.writeInt(data.length);
        out.write(name);
        out.write(data);
        out.writeInt((int) crc.getValue());
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
