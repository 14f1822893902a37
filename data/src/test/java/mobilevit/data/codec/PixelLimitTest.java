package mobilevit.data.codec;

import mobilevit.data.BadImages;
import mobilevit.data.Fixtures;
import mobilevit.data.TestImages;
import mobilevit.data.pipeline.EvalTransform;
import mobilevit.data.pipeline.Interpolation;
import mobilevit.data.pipeline.RandomDraws;
import mobilevit.data.pipeline.RandomResizedCrop;
import mobilevit.data.pipeline.TrainTransform;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * An image that claims more pixels than the limit, or whose JPEG or PNG header gives no size, is
 * unreadable before anything is decoded or allocated, in the training and the evaluation transform
 * alike, with either JPEG decoder (where libturbojpeg is missing, both are OpenCV).
 */
class PixelLimitTest {

    private static final int OUT = 64;

    @TempDir
    static Path tmp;

    @BeforeAll
    static void corpus() throws Exception {
        BadImages.write(tmp, Fixtures.file("preprocess_cv2/img_500x375.jpg"));
    }

    @ParameterizedTest
    @CsvSource({"claims_65000x65000.JPEG, 65000x65000", "claims_20000x20000.png, 20000x20000"})
    void anImageThatClaimsTooManyPixelsIsUnreadableBeforeItIsDecoded(String name, String size) throws Exception {
        byte[] encoded = Files.readAllBytes(tmp.resolve(name));
        int pixelBuffer = Workspace.current().pixels(0).capacity();
        long peak = virtualMemoryPeak();
        for (JpegDecoder decoder : JpegDecoder.values()) {
            for (TrainTransform.Decoding decoding : TrainTransform.Decoding.values()) {
                assertEquals("claims " + size + BadImages.OVER_THE_LIMIT,
                        train(encoded, decoding, decoder, PixelLimit.DEFAULT), decoder + " " + decoding);
            }
            assertEquals("claims " + size + BadImages.OVER_THE_LIMIT, eval(encoded, decoder, PixelLimit.DEFAULT),
                    decoder.toString());
        }
        assertEquals(pixelBuffer, Workspace.current().pixels(0).capacity(), "the workspace's pixel buffer did not grow");
        // the 20000x20000 PNG decodes to 1.2 GB of BGR pixels, which OpenCV would allocate first
        long grown = virtualMemoryPeak() - peak;
        assertTrue(grown < 256L << 20, "the process's virtual memory peak grew by " + (grown >> 20) + " MB");
    }

    @Test
    void aJpegOrPngWhoseHeaderGivesNoSizeIsUnreadable() throws Exception {
        byte[] jpeg = Files.readAllBytes(Fixtures.file("preprocess_cv2/img_500x375.jpg"));
        // a stray byte after the first segment: libjpeg skips it with a warning and decodes the file
        int second = 4 + ((jpeg[4] & 0xFF) << 8 | jpeg[5] & 0xFF);
        byte[] stray = new byte[jpeg.length + 1];
        System.arraycopy(jpeg, 0, stray, 0, second);
        System.arraycopy(jpeg, second, stray, second + 1, jpeg.length - second);
        byte[] png = TestImages.png(90, 120, (y, x, c) -> x);
        png[16] = png[17] = png[18] = png[19] = 0; // IHDR's width
        for (JpegDecoder decoder : JpegDecoder.values()) {
            assertEquals("damaged JPEG header: no frame size before the image data",
                    train(stray, TrainTransform.Decoding.REGION, decoder, PixelLimit.DEFAULT));
            assertEquals("damaged JPEG header: no frame size before the image data",
                    eval(stray, decoder, PixelLimit.DEFAULT));
            assertEquals("damaged PNG header: no IHDR chunk with a size", eval(png, decoder, PixelLimit.DEFAULT));
        }
    }

    @Test
    void anImageOfExactlyTheLimitIsRead() throws Exception {
        byte[] jpeg = Files.readAllBytes(Fixtures.file("preprocess_cv2/img_500x375.jpg"));
        byte[] png = TestImages.png(375, 500, (y, x, c) -> x);
        PixelLimit exact = new PixelLimit(500 * 375);
        PixelLimit less = new PixelLimit(500 * 375 - 1);
        for (byte[] image : new byte[][] {jpeg, png}) {
            assertNull(train(image, TrainTransform.Decoding.REGION, JpegDecoder.best(), exact));
            assertNull(eval(image, JpegDecoder.best(), exact));
            String reason = "claims 500x375 pixels, more than the limit of 187499 (data.max_image_pixels)";
            assertEquals(reason, train(image, TrainTransform.Decoding.REGION, JpegDecoder.best(), less));
            assertEquals(reason, eval(image, JpegDecoder.best(), less));
        }
    }

    @Test
    void theSizeComesFromTheJpegFrameHeaderOrThePngIhdr() throws Exception {
        assertArrayEquals(new int[] {375, 500}, ImageDecoding.claimedSize(TestImages.direct(
                Files.readAllBytes(Fixtures.file("preprocess_cv2/img_500x375.jpg")))));
        assertArrayEquals(new int[] {90, 120}, ImageDecoding.claimedSize(TestImages.direct(
                TestImages.png(90, 120, (y, x, c) -> x))));
        assertArrayEquals(new int[] {20000, 20000}, ImageDecoding.claimedSize(TestImages.direct(
                Files.readAllBytes(tmp.resolve("claims_20000x20000.png")))));
        assertNull(ImageDecoding.claimedSize(TestImages.direct("<html></html>".getBytes())), "not a JPEG or PNG");
        assertThrows(IllegalArgumentException.class, () -> new PixelLimit(0));
        assertThrows(IllegalArgumentException.class, () -> new PixelLimit(PixelLimit.LARGEST + 1));
        assertDoesNotThrow(() -> new PixelLimit(PixelLimit.LARGEST));
    }

    /** The training transform's skip reason for an image, read from a file, or null when it was read. */
    private static String train(byte[] encoded, TrainTransform.Decoding decoding, JpegDecoder decoder,
                                PixelLimit limit) throws IOException {
        TrainTransform t = new TrainTransform(RandomResizedCrop.Variant.CVNETS_V01, Interpolation.BILINEAR, decoding,
                decoder, limit);
        ByteBuffer dst = ByteBuffer.allocateDirect(3 * OUT * OUT);
        Path file = Files.write(Files.createTempFile(tmp, "train", ".image"), encoded);
        return reason(() -> t.apply(file, OUT, OUT, () -> RandomDraws.seeded(0, 1), dst, 0));
    }

    /** The evaluation transform's skip reason for an image, or null when it was read. */
    private static String eval(byte[] encoded, JpegDecoder decoder, PixelLimit limit) {
        EvalTransform t = new EvalTransform(OUT + 8, OUT, Interpolation.BILINEAR, decoder, limit);
        return reason(() -> t.apply(encoded));
    }

    private interface Transform {
        void run() throws UnreadableImageException;
    }

    private static String reason(Transform transform) {
        try {
            transform.run();
            return null;
        } catch (UnreadableImageException e) {
            return e.getMessage();
        }
    }

    /** VmPeak of /proc/self/status: the most virtual memory the process has mapped, in bytes. */
    private static long virtualMemoryPeak() throws Exception {
        String line = Files.readAllLines(Path.of("/proc/self/status")).stream().filter(l -> l.startsWith("VmPeak:"))
                .findFirst().orElseThrow();
        return Long.parseLong(line.replaceAll("[^0-9]", "")) << 10;
    }
}
