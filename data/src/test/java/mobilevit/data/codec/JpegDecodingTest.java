package mobilevit.data.codec;

import mobilevit.data.BadImages;
import mobilevit.data.Fixtures;
import mobilevit.data.TestImages;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.opencv.core.Mat;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * libjpeg-turbo's decoder against OpenCV's: the same pixels at full size and at every DCT
 * reduction, and OpenCV left to decode what libjpeg-turbo would decode differently.
 */
class JpegDecodingTest {

    private static final Path LIBRARY = Path.of("/usr/lib/x86_64-linux-gnu/libturbojpeg.so.0");

    @TempDir
    static Path tmp;

    @BeforeAll
    static void corpus() throws Exception {
        BadImages.write(tmp, Fixtures.file("preprocess_cv2/img_500x375.jpg"));
    }

    /** CI installs libjpeg-turbo, so there the TurboJPEG path must be the one that runs. */
    @Test
    void theInstalledLibraryIsUsed() {
        assumeTrue(Files.exists(LIBRARY), "libturbojpeg.so.0 is not installed (apt-get install libturbojpeg0)");
        assertEquals(JpegDecoder.TURBOJPEG, JpegDecoder.best());
        for (int reduction : new int[] {2, 4, 8}) {
            assertTrue(TurboJpeg.scales(reduction), "1/" + reduction);
        }
    }

    @ParameterizedTest
    @CsvSource({"img_500x375, 1", "img_500x375, 2", "img_500x375, 4", "img_500x375, 8",
            "img_gray_320x240, 1", "img_gray_320x240, 2", "img_gray_320x240, 4", "img_gray_320x240, 8"})
    void turboDecodesTheFixturesExactlyAsOpenCv(String img, int reduction) throws Exception {
        assumeTrue(TurboJpeg.available(), "libturbojpeg.so.0 is not installed (apt-get install libturbojpeg0)");
        byte[] jpeg = Files.readAllBytes(Fixtures.file("preprocess_cv2/" + img + ".jpg"));
        Decoded turbo = decode(jpeg, reduction, JpegDecoder.TURBOJPEG);
        Decoded opencv = decode(jpeg, reduction, JpegDecoder.OPENCV);
        assertTrue(turbo.byTurbo, "decoded by libjpeg-turbo");
        assertFalse(opencv.byTurbo);
        assertEquals(opencv.rows, turbo.rows);
        assertEquals(opencv.cols, turbo.cols);
        assertArrayEquals(opencv.pixels, turbo.pixels);
    }

    /** Grayscale goes through libjpeg-turbo; CMYK, PNG and a JPEG cut off mid-scan through OpenCV, as before. */
    @ParameterizedTest
    @CsvSource({"grayscale.JPEG, true", "cmyk.JPEG, false", "png_named.JPEG, false", "cut_in_scan.JPEG, false"})
    void oddFilesDecodeAsOpenCvDecodesThem(String name, boolean byTurbo) throws Exception {
        assumeTrue(TurboJpeg.available(), "libturbojpeg.so.0 is not installed (apt-get install libturbojpeg0)");
        byte[] bytes = Files.readAllBytes(tmp.resolve(name));
        Decoded turbo = decode(bytes, 1, JpegDecoder.TURBOJPEG);
        Decoded opencv = decode(bytes, 1, JpegDecoder.OPENCV);
        assertEquals(byTurbo, turbo.byTurbo);
        assertEquals(opencv.rows + "x" + opencv.cols, turbo.rows + "x" + turbo.cols);
        assertArrayEquals(opencv.pixels, turbo.pixels);
    }

    @ParameterizedTest
    @ValueSource(strings = {"zero_bytes.JPEG", "header_only.JPEG", "html_text.JPEG"})
    void unreadableFilesStayUnreadable(String name) throws Exception {
        byte[] bytes = Files.readAllBytes(tmp.resolve(name));
        for (JpegDecoder decoder : JpegDecoder.values()) {
            assertThrows(UnreadableImageException.class,
                    () -> ImageDecoding.decode(TestImages.direct(bytes), 1, decoder, PixelLimit.DEFAULT),
                    decoder + " " + name);
        }
    }

    /** libjpeg-turbo 2.1 keeps a failed header read's state; the next image must not inherit it. */
    @Test
    void aDamagedFileDoesNotSpoilTheNextDecode() throws Exception {
        assumeTrue(TurboJpeg.available(), "libturbojpeg.so.0 is not installed (apt-get install libturbojpeg0)");
        byte[] small = TestImages.jpeg(40, 60, (y, x, c) -> 4 * x);
        byte[] gray = Files.readAllBytes(tmp.resolve("grayscale.JPEG"));
        decode(small, 1, JpegDecoder.TURBOJPEG);
        assertThrows(UnreadableImageException.class, () -> decode(Files.readAllBytes(tmp.resolve("header_only.JPEG")), 1,
                JpegDecoder.TURBOJPEG));
        Decoded next = decode(gray, 1, JpegDecoder.TURBOJPEG);
        assertTrue(next.byTurbo);
        assertEquals("100x140", next.rows + "x" + next.cols);
        assertArrayEquals(decode(gray, 1, JpegDecoder.OPENCV).pixels, next.pixels);
    }

    /** OpenCV applies EXIF orientation; libjpeg-turbo does not, so a rotated JPEG is left to OpenCV. */
    @Test
    void exifRotatedJpegIsDecodedUpright() throws Exception {
        byte[] rotated = ExifOrientationTest.withOrientation(TestImages.jpeg(40, 60, (y, x, c) -> 4 * x), 6, false);
        Decoded turbo = decode(rotated, 1, JpegDecoder.TURBOJPEG);
        assertFalse(turbo.byTurbo);
        assertEquals(60, turbo.rows);
        assertEquals(40, turbo.cols);
    }

    private record Decoded(int rows, int cols, byte[] pixels, boolean byTurbo) {}

    private static Decoded decode(byte[] encoded, int reduction, JpegDecoder decoder) throws UnreadableImageException {
        Mat image = ImageDecoding.decode(TestImages.direct(encoded), reduction, decoder, PixelLimit.DEFAULT);
        try {
            byte[] pixels = new byte[3 * image.rows() * image.cols()];
            image.get(0, 0, pixels);
            // TurboJPEG decodes into the thread's workspace; OpenCV into memory of its own.
            ByteBuffer workspace = Workspace.current().pixels(0);
            boolean byTurbo = TurboJpeg.available() && image.dataAddr() == DirectBuffers.address(workspace);
            return new Decoded(image.rows(), image.cols(), pixels, byTurbo);
        } finally {
            image.release();
        }
    }
}
