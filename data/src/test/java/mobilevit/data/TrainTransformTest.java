package mobilevit.data;

import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TrainTransformTest {

    private static final TrainTransform PAPER = TrainTransform.paper();

    /** Blue rises with x, green with y, red mixes both: nothing is symmetric. */
    private static int pixel(int y, int x, int c) {
        return c == 0 ? 4 * x : c == 1 ? 3 * y : (x * 7 + y * 13) % 256;
    }

    @Test
    void wholeImageCropIsExactAndFlipMirrors() throws Exception {
        byte[] png = TestImages.png(64, 64, TrainTransformTest::pixel);
        // crop draws (area 1, log ratio 0 -> the whole 64 x 64 image, offsets 0, 0), then the flip draw
        byte[] plain = apply(PAPER, png, 64, 64, () -> new ScriptedDraws().uniforms(1.0, 0.0, 0.7).integers(0, 0));
        byte[] flipped = apply(PAPER, png, 64, 64, () -> new ScriptedDraws().uniforms(1.0, 0.0, 0.5).integers(0, 0));
        for (int c = 0; c < 3; c++) {
            for (int y = 0; y < 64; y++) {
                for (int x = 0; x < 64; x++) {
                    int expected = pixel(y, x, c);
                    assertEquals(expected, plain[(c * 64 + y) * 64 + x] & 0xFF, "unflipped (c, y, x) = " + c + "," + y + "," + x);
                    assertEquals(expected, flipped[(c * 64 + y) * 64 + 63 - x] & 0xFF, "flipped (c, y, x) = " + c + "," + y + "," + x);
                }
            }
        }
    }

    @Test
    void flipsAboutHalfTheTime() throws Exception {
        byte[] png = TestImages.png(64, 64, TrainTransformTest::pixel);
        int n = 2000;
        int flips = 0;
        for (int k = 0; k < n; k++) {
            long sample = k;
            byte[] out = apply(PAPER, png, 32, 32, () -> RandomDraws.seeded(7, sample));
            int left = out[0] & 0xFF;
            int right = out[31] & 0xFF;
            assertTrue(left != right, "blue rises with x, so the first and last columns differ");
            if (left > right) {
                flips++;
            }
        }
        // Binomial(2000, 0.5): standard deviation 22.4; allow 4.5 of them.
        assertTrue(Math.abs(flips - n / 2) < 100, flips + " flips out of " + n);
    }

    @Test
    void sameDrawsGiveTheSameOutput() throws Exception {
        byte[] jpeg = Files.readAllBytes(Fixtures.file("preprocess_cv2/img_500x375.jpg"));
        byte[] a = apply(PAPER, jpeg, 160, 192, () -> RandomDraws.seeded(1, 2, 3));
        assertArrayEquals(a, apply(PAPER, jpeg, 160, 192, () -> RandomDraws.seeded(1, 2, 3)));
        assertTrue(maxAbsDiff(a, apply(PAPER, jpeg, 160, 192, () -> RandomDraws.seeded(1, 2, 4))) > 25);
    }

    @Test
    void readsJpegSizeFromTheHeader() throws Exception {
        byte[] jpeg = Files.readAllBytes(Fixtures.file("preprocess_cv2/img_500x375.jpg"));
        assertArrayEquals(new int[] {375, 500}, size(jpeg));
        assertArrayEquals(new int[] {240, 320}, size(Files.readAllBytes(Fixtures.file("preprocess_cv2/img_gray_320x240.jpg"))));
        assertNull(size(Files.readAllBytes(Fixtures.file("preprocess/img_500x375_decoded.png"))));
        assertNull(size("not an image".getBytes()));
        assertNull(size(java.util.Arrays.copyOf(jpeg, 10)));
    }

    @Test
    void reductionNeedsTheCropToBeThatManyTimesTheOutput() {
        assertEquals(1, TrainTransform.reduction(new CropBox(0, 0, 319, 1000), 160, 160));
        assertEquals(2, TrainTransform.reduction(new CropBox(0, 0, 320, 1000), 160, 160));
        assertEquals(2, TrainTransform.reduction(new CropBox(0, 0, 1000, 639), 160, 160));
        assertEquals(4, TrainTransform.reduction(new CropBox(0, 0, 640, 640), 160, 160));
        assertEquals(8, TrainTransform.reduction(new CropBox(0, 0, 2000, 1280), 160, 160));
    }

    /**
     * A 1/4-resolution decode of a crop 6x the output gives nearly the full-resolution result; the
     * same crop moved by 24 pixels (1/40 of its side) differs far more, so the region is unchanged.
     */
    @Test
    void reducedDecodingKeepsTheCroppedRegion() throws Exception {
        // smooth content (periods of 100 pixels and more), which a 1/4 decode keeps
        byte[] jpeg = TestImages.jpeg(1200, 1600, (y, x, c) -> (int) (127.5 + 127.5
                * Math.sin((c + 1) * x / 60.0 + (3 - c) * y / 50.0 + 1e-5 * x * y)));
        int out = 160;
        // area 0.5 of 1200 x 1600 with ratio 1 -> 980 x 980 at (100, 300); no flip
        byte[] reduced = transform(new TrainTransform(RandomResizedCrop.Variant.CVNETS_V01, Interpolation.BILINEAR, true),
                jpeg, out, 100, 300);
        byte[] full = transform(new TrainTransform(RandomResizedCrop.Variant.CVNETS_V01, Interpolation.BILINEAR, false),
                jpeg, out, 100, 300);
        byte[] moved = transform(new TrainTransform(RandomResizedCrop.Variant.CVNETS_V01, Interpolation.BILINEAR, false),
                jpeg, out, 124, 324);
        double same = meanAbsDiff(reduced, full);
        double shifted = meanAbsDiff(moved, full);
        assertTrue(same < 2.55, "reduced vs full decode differ by " + same);
        assertTrue(shifted > 10 * same, "a 24-pixel shift (" + shifted + ") must differ more than decoding at 1/4 (" + same + ")");
        byte[] reducedAa = transform(new TrainTransform(RandomResizedCrop.Variant.CVNETS_V01,
                Interpolation.BILINEAR_ANTIALIAS, true), jpeg, out, 100, 300);
        assertTrue(meanAbsDiff(reducedAa, full) < 2.55);
    }

    /**
     * OpenCV applies EXIF orientation, so a JPEG marked "rotate 90" decodes with height and width
     * swapped relative to its header: the crop is then drawn again on the decoded size.
     */
    @Test
    void exifRotatedJpegIsCroppedInItsDecodedSize() throws Exception {
        byte[] plain = TestImages.jpeg(200, 300, TrainTransformTest::pixel);
        byte[] tiff = {'I', 'I', 42, 0, 8, 0, 0, 0, 1, 0, 0x12, 0x01, 3, 0, 1, 0, 0, 0, 6, 0, 0, 0, 0, 0, 0, 0};
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        out.write(plain, 0, 2);
        int length = 2 + 6 + tiff.length;
        out.write(new byte[] {(byte) 0xFF, (byte) 0xE1, 0, (byte) length, 'E', 'x', 'i', 'f', 0, 0});
        out.write(tiff);
        out.write(plain, 2, plain.length - 2);
        byte[] rotated = out.toByteArray();
        assertArrayEquals(new int[] {200, 300}, size(rotated));
        org.opencv.core.Mat decoded = ImageDecoding.decode(TestImages.direct(rotated), 1, JpegDecoder.best());
        assertEquals(300, decoded.rows());
        decoded.release();

        // area 0.5, ratio 1: a 173-pixel square, 4x the output, so a 1/4 decode is tried first; its
        // size does not match the header's, so the draws are asked for again and used at full size.
        int[] calls = new int[1];
        byte[] viaHeader = apply(new TrainTransform(RandomResizedCrop.Variant.CVNETS_V01, Interpolation.BILINEAR, true),
                rotated, 32, 32, () -> {
                    calls[0]++;
                    return new ScriptedDraws().uniforms(0.5, 0.0, 0.9).integers(20, 20);
                });
        byte[] direct = apply(new TrainTransform(RandomResizedCrop.Variant.CVNETS_V01, Interpolation.BILINEAR, false),
                rotated, 32, 32, () -> new ScriptedDraws().uniforms(0.5, 0.0, 0.9).integers(20, 20));
        assertEquals(2, calls[0]);
        assertArrayEquals(direct, viaHeader);
    }

    private static byte[] transform(TrainTransform t, byte[] jpeg, int out, int top, int left) throws Exception {
        return apply(t, jpeg, out, out, () -> new ScriptedDraws().uniforms(0.5, 0.0, 0.9).integers(top, left));
    }

    /** The transform's output bytes (3 planes of outH x outW). */
    static byte[] apply(TrainTransform t, byte[] encoded, int outH, int outW, Supplier<RandomDraws> draws)
            throws UnreadableImageException {
        ByteBuffer dst = ByteBuffer.allocateDirect(3 * outH * outW);
        t.apply(TestImages.direct(encoded), outH, outW, draws, dst, 0);
        return TestImages.bytes(dst);
    }

    private static int[] size(byte[] encoded) {
        return ImageDecoding.jpegSize(TestImages.direct(encoded));
    }

    /** Mean |a - b| over the bytes, in pixel levels (0..255). */
    static double meanAbsDiff(byte[] a, byte[] b) {
        double sum = 0;
        for (int i = 0; i < a.length; i++) {
            sum += Math.abs((a[i] & 0xFF) - (b[i] & 0xFF));
        }
        return sum / a.length;
    }

    static int maxAbsDiff(byte[] a, byte[] b) {
        int max = 0;
        for (int i = 0; i < a.length; i++) {
            max = Math.max(max, Math.abs((a[i] & 0xFF) - (b[i] & 0xFF)));
        }
        return max;
    }
}
