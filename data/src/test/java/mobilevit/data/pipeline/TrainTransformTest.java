package mobilevit.data.pipeline;

import mobilevit.data.Fixtures;
import mobilevit.data.TestImages;
import mobilevit.data.codec.ImageDecoding;
import mobilevit.data.codec.JpegDecoder;
import mobilevit.data.codec.PixelLimit;
import mobilevit.data.codec.UnreadableImageException;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

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
        byte[] reduced = transform(new TrainTransform(RandomResizedCrop.Variant.CVNETS_V01, Interpolation.BILINEAR, TrainTransform.Decoding.REDUCED),
                jpeg, out, 100, 300);
        byte[] full = transform(new TrainTransform(RandomResizedCrop.Variant.CVNETS_V01, Interpolation.BILINEAR, TrainTransform.Decoding.FULL),
                jpeg, out, 100, 300);
        byte[] moved = transform(new TrainTransform(RandomResizedCrop.Variant.CVNETS_V01, Interpolation.BILINEAR, TrainTransform.Decoding.FULL),
                jpeg, out, 124, 324);
        double same = meanAbsDiff(reduced, full);
        double shifted = meanAbsDiff(moved, full);
        assertTrue(same < 2.55, "reduced vs full decode differ by " + same);
        assertTrue(shifted > 10 * same, "a 24-pixel shift (" + shifted + ") must differ more than decoding at 1/4 (" + same + ")");
        byte[] reducedAa = transform(new TrainTransform(RandomResizedCrop.Variant.CVNETS_V01,
                Interpolation.BILINEAR_ANTIALIAS, TrainTransform.Decoding.REDUCED), jpeg, out, 100, 300);
        assertTrue(meanAbsDiff(reducedAa, full) < 2.55);
    }

    /**
     * Both decoders give the same crops, bit for bit, at full size and at 1/2, 1/4 and 1/8 (the
     * output sizes below make crops of the fixtures reach each reduction).
     */
    @ParameterizedTest
    @ValueSource(strings = {"img_500x375", "img_gray_320x240"})
    void bothDecodersGiveTheSameCrops(String img) throws Exception {
        byte[] jpeg = Files.readAllBytes(Fixtures.file("preprocess_cv2/" + img + ".jpg"));
        TrainTransform turbo = paper(JpegDecoder.TURBOJPEG);
        TrainTransform opencv = paper(JpegDecoder.OPENCV);
        java.util.Set<Integer> reductions = new java.util.TreeSet<>();
        for (int out : new int[] {24, 48, 96, 160}) {
            for (long k = 0; k < 40; k++) {
                long sample = k;
                Supplier<RandomDraws> draws = () -> RandomDraws.seeded(11, out, sample);
                CropBox box = new RandomResizedCrop(RandomResizedCrop.Variant.CVNETS_V01).params(
                        size(jpeg)[0], size(jpeg)[1], draws.get());
                reductions.add(TrainTransform.reduction(box, out, out));
                assertArrayEquals(apply(opencv, jpeg, out, out, draws), apply(turbo, jpeg, out, out, draws),
                        img + " at " + out + ", sample " + k);
            }
        }
        assertEquals(java.util.Set.of(1, 2, 4, 8), reductions);
    }

    /**
     * A crop from a reduced-resolution decode against the same crop from the full decode with the
     * same resize, on the fixture photographs (detailed, so this is the worst case): the mean
     * |difference| is at most 8, 12 and 16 levels of 255 at 1/2, 1/4 and 1/8 (measured: up to 7.7,
     * 11.3 and 14.0; 2.7, 5.5 and 9.8 on average for the colour photograph), and at least 85% of the
     * values are within 32 levels. The reduced decode averages each 2x2, 4x4 or 8x8 block in the DCT
     * domain, while OpenCV's bilinear downscale of the full decode reads only 2x2 pixels per output
     * pixel and aliases the detail in between; smooth content differs far less (the test above).
     * These tolerances are those of the OpenCV path before libjpeg-turbo, which decodes the same
     * reductions to the same pixels.
     */
    @ParameterizedTest
    @ValueSource(strings = {"img_500x375", "img_gray_320x240"})
    void reducedDecodingStaysCloseToTheFullDecode(String img) throws Exception {
        byte[] jpeg = Files.readAllBytes(Fixtures.file("preprocess_cv2/" + img + ".jpg"));
        TrainTransform reduced = PAPER;
        TrainTransform full = new TrainTransform(RandomResizedCrop.Variant.CVNETS_V01, Interpolation.BILINEAR, TrainTransform.Decoding.FULL);
        int compared = 0;
        for (int out : new int[] {24, 48, 96}) {
            for (long k = 0; k < 30; k++) {
                long sample = k;
                Supplier<RandomDraws> draws = () -> RandomDraws.seeded(12, out, sample);
                CropBox box = new RandomResizedCrop(RandomResizedCrop.Variant.CVNETS_V01).params(
                        size(jpeg)[0], size(jpeg)[1], draws.get());
                if (TrainTransform.reduction(box, out, out) == 1) {
                    continue;
                }
                byte[] a = apply(reduced, jpeg, out, out, draws);
                byte[] b = apply(full, jpeg, out, out, draws);
                String what = img + " at " + out + ", sample " + k + ", 1/" + TrainTransform.reduction(box, out, out);
                int reduction = TrainTransform.reduction(box, out, out);
                double tolerance = reduction == 2 ? 8 : reduction == 4 ? 12 : 16;
                assertTrue(meanAbsDiff(a, b) <= tolerance, what + ": mean |diff| " + meanAbsDiff(a, b));
                assertTrue(fractionWithin(a, b, 32) >= 0.85, what + ": " + fractionWithin(a, b, 32) + " within 32");
                compared++;
            }
        }
        assertTrue(compared > 20, compared + " reduced crops compared");
    }

    /**
     * Preparing an image allocates the same small amount of Java heap however many images came
     * before: nothing of the size of its pixels (256x256x3 = 196,608 bytes here).
     */
    @Test
    void preparingAnImageAllocatesLittleAndTheSameEachTime() throws Exception {
        com.sun.management.ThreadMXBean threads =
                (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        java.nio.file.Path file = Fixtures.file("preprocess_cv2/img_500x375.jpg");
        ByteBuffer dst = ByteBuffer.allocateDirect(3 * 256 * 256);
        long[] perImage = new long[3];
        for (int run = 0; run < perImage.length; run++) {
            long before = threads.getCurrentThreadAllocatedBytes();
            for (int i = 0; i < 100; i++) {
                long sample = 100L * run + i;
                PAPER.apply(file, 256, 256, () -> RandomDraws.seeded(13, sample), dst, 0);
            }
            perImage[run] = (threads.getCurrentThreadAllocatedBytes() - before) / 100;
        }
        assertTrue(perImage[1] < 8192 && perImage[2] < 8192, java.util.Arrays.toString(perImage) + " bytes per image");
        assertTrue(perImage[2] <= perImage[1] + 512, java.util.Arrays.toString(perImage) + " bytes per image");
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
        org.opencv.core.Mat decoded = ImageDecoding.decode(TestImages.direct(rotated), 1, JpegDecoder.best(),
                PixelLimit.DEFAULT);
        assertEquals(300, decoded.rows());
        decoded.release();

        // area 0.5, ratio 1: a 173-pixel square, 4x the output, so a 1/4 decode is tried first; its
        // size does not match the header's, so the draws are asked for again and used at full size.
        int[] calls = new int[1];
        byte[] viaHeader = apply(new TrainTransform(RandomResizedCrop.Variant.CVNETS_V01, Interpolation.BILINEAR, TrainTransform.Decoding.REDUCED),
                rotated, 32, 32, () -> {
                    calls[0]++;
                    return new ScriptedDraws().uniforms(0.5, 0.0, 0.9).integers(20, 20);
                });
        byte[] direct = apply(new TrainTransform(RandomResizedCrop.Variant.CVNETS_V01, Interpolation.BILINEAR, TrainTransform.Decoding.FULL),
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

    private static TrainTransform paper(JpegDecoder decoder) {
        return new TrainTransform(RandomResizedCrop.Variant.CVNETS_V01, Interpolation.BILINEAR,
                TrainTransform.Decoding.REDUCED, decoder, PixelLimit.DEFAULT);
    }

    private static double fractionWithin(byte[] a, byte[] b, int levels) {
        int n = 0;
        for (int i = 0; i < a.length; i++) {
            if (Math.abs((a[i] & 0xFF) - (b[i] & 0xFF)) <= levels) {
                n++;
            }
        }
        return (double) n / a.length;
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
