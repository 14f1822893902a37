package mobilevit.data.codec;

import mobilevit.data.BadImages;
import mobilevit.data.Fixtures;
import mobilevit.data.TestImages;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.opencv.core.Mat;
import org.opencv.core.Size;
import org.opencv.imgcodecs.Imgcodecs;
import org.opencv.imgproc.Imgproc;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.IntStream;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Region decoding ({@code libmobilevit_jpeg.so}) gives the pixels of a whole-image decode, bit for
 * bit, for every kind of JPEG the encoders write, at every reduction (the training crops made from
 * it: {@code RegionCropsTest}). Skipped where the library is not built, unless
 * MOBILEVIT_REQUIRE_JPEG_REGION=1 (CI), which makes that a failure.
 */
public class JpegRegionTest {

    /** OpenCV's chroma subsampling settings, and grayscale. */
    private static final int[] SAMPLINGS = {Imgcodecs.IMWRITE_JPEG_SAMPLING_FACTOR_444,
            Imgcodecs.IMWRITE_JPEG_SAMPLING_FACTOR_422, Imgcodecs.IMWRITE_JPEG_SAMPLING_FACTOR_420,
            Imgcodecs.IMWRITE_JPEG_SAMPLING_FACTOR_411, Imgcodecs.IMWRITE_JPEG_SAMPLING_FACTOR_440, 0};

    @TempDir
    static Path tmp;

    @BeforeAll
    static void corpus() throws Exception {
        BadImages.write(tmp, Fixtures.file("preprocess_cv2/img_500x375.jpg"));
    }

    /** Skips the calling test where region decoding is off, unless CI requires it (MOBILEVIT_REQUIRE_JPEG_REGION=1). */
    public static void assumeRegionDecoding() {
        if ("1".equals(System.getenv("MOBILEVIT_REQUIRE_JPEG_REGION"))) {
            assertTrue(JpegDecoder.decodesRegions(), "region decoding is required here but off: libturbojpeg.so.0 "
                    + "or libmobilevit_jpeg.so (built by data/src/main/native/build.sh) did not load");
        }
        assumeTrue(JpegDecoder.decodesRegions(), "region decoding is off (libturbojpeg0, gcc, libjpeg62-turbo-dev)");
    }

    /** The fixture photograph resized to odd and tiny sizes, encoded every way, progressive or not, with restarts or not. */
    static Stream<Arguments> kinds() {
        List<Arguments> out = new ArrayList<>();
        for (int[] size : new int[][] {{375, 500}, {389, 517}, {47, 33}}) {
            for (int sampling : SAMPLINGS) {
                for (boolean progressive : new boolean[] {false, true}) {
                    out.add(Arguments.of(size[0], size[1], sampling, progressive, progressive ? 0 : 3));
                }
            }
        }
        return out.stream();
    }

    @ParameterizedTest(name = "{0}x{1} sampling {2} progressive {3} restarts {4}")
    @MethodSource("kinds")
    void aRegionHasThePixelsOfTheWholeDecode(int rows, int cols, int sampling, boolean progressive, int restarts)
            throws Exception {
        assumeRegionDecoding();
        byte[] jpeg = photo(rows, cols, sampling, progressive, restarts);
        // the same file with a restart marker after every MCU: decoded from the MCUs around the region
        byte[] marked = RestartMarkers.add(jpeg).orElseThrow();
        SplittableRandom random = new SplittableRandom(rows * 31L + sampling + (progressive ? 7 : 0));
        int regionsAboveTheLastRow = 0;
        for (int reduction : new int[] {1, 2, 4, 8}) {
            int h = (rows + reduction - 1) / reduction;
            int w = (cols + reduction - 1) / reduction;
            byte[] whole = whole(jpeg, reduction);
            assertEquals(3 * h * w, whole.length);
            assertArrayEquals(whole, whole(marked, reduction), "1/" + reduction + ": re-encoding is lossless");
            for (int k = 0; k < 25; k++) {
                int height = 1 + random.nextInt(h);
                int width = 1 + random.nextInt(w);
                int top = random.nextInt(h - height + 1);
                int left = random.nextInt(w - width + 1);
                for (byte[] file : List.of(jpeg, marked)) {
                    String what = (file == marked ? "restart-marked " : "") + "1/" + reduction + " region " + top + ","
                            + left + " " + height + "x" + width;
                    byte[] region = region(file, reduction, rows, cols, top, left, height, width);
                    for (int y = top; y < top + height; y++) {
                        int from = 3 * (y * w + left);
                        int to = 3 * (y * w + left + width);
                        assertArrayEquals(Arrays.copyOfRange(whole, from, to), Arrays.copyOfRange(region, from, to),
                                what + ", row " + y);
                    }
                    if (top + height < h) { // the last row is not decoded (no whole-image fallback)
                        byte[] last = Arrays.copyOfRange(region, 3 * (h - 1) * w, 3 * h * w);
                        byte[] sentinels = new byte[last.length];
                        Arrays.fill(sentinels, SENTINEL);
                        assertArrayEquals(sentinels, last, what + ": the last row was written");
                        regionsAboveTheLastRow++;
                    }
                }
            }
        }
        assertTrue(regionsAboveTheLastRow > 20, regionsAboveTheLastRow + " regions ended above the last row");
    }

    /**
     * A restart-marked file is decoded from the MCUs around the region alone: with the entropy data
     * of its first MCU row wiped, a region lower down still decodes, by region, to the intact
     * file's pixels. Reading the wiped row (as decoding without the markers must) is a warning,
     * which would make the whole file be decoded instead, and write its last row.
     */
    @ParameterizedTest
    @MethodSource("samplingsAndMcuWidths")
    void aRestartMarkedRegionReadsNothingAboveIt(int sampling, int mcuWidth) throws Exception {
        assumeRegionDecoding();
        byte[] marked = RestartMarkers.add(photo(375, 500, sampling, false, 0)).orElseThrow();
        byte[] wiped = wipeFirstMcus(marked, (500 + mcuWidth - 1) / mcuWidth);
        byte[] whole = whole(marked, 1);
        byte[] region = region(wiped, 1, 375, 500, 100, 150, 120, 200);
        for (int y = 100; y < 220; y++) {
            int from = 3 * (y * 500 + 150);
            int to = 3 * (y * 500 + 350);
            assertArrayEquals(Arrays.copyOfRange(whole, from, to), Arrays.copyOfRange(region, from, to), "row " + y);
        }
        byte[] sentinels = new byte[3 * 500];
        Arrays.fill(sentinels, SENTINEL);
        assertArrayEquals(sentinels, Arrays.copyOfRange(region, 3 * 500 * 374, 3 * 500 * 375), "the last row");
        assertTrue(RestartMarkers.add(wiped).isEmpty(), "the wiped file reads with warnings");
    }

    /**
     * Restart markers out of sequence (damage that a whole decode warns about) keep a file off the
     * MCU path: its region decode reports the warning, so the caller decodes it whole, as any
     * damaged file.
     */
    @Test
    void restartMarkersOutOfSequenceAreLeftToTheWholeDecode() throws Exception {
        assumeRegionDecoding();
        byte[] marked = RestartMarkers.add(photo(375, 500, Imgcodecs.IMWRITE_JPEG_SAMPLING_FACTOR_420, false, 0))
                .orElseThrow();
        byte[] swapped = marked.clone();
        int markers = 0;
        for (int p = 0; p + 1 < swapped.length; p++) {
            if ((swapped[p] & 0xFF) == 0xFF && (swapped[p + 1] & 0xF8) == 0xD0 && ++markers == 5) {
                swapped[p + 1] = (byte) 0xD7; // the fifth marker should be RST4
                break;
            }
        }
        assertEquals(5, markers);
        assertTrue(decodes(marked), "the intact file");
        assertFalse(decodes(swapped), "the file with a marker out of sequence");
    }

    /** Whether JpegRegion decodes a region (rows 200-259, columns 100-179) of a 500x375 file. */
    private static boolean decodes(byte[] jpeg) {
        ByteBuffer encoded = TestImages.direct(jpeg);
        ByteBuffer pixels = ByteBuffer.allocateDirect(3 * 500 * 375);
        return JpegRegion.decode(DirectBuffers.address(encoded), jpeg.length, 1, 200, 100, 60, 80,
                DirectBuffers.address(pixels), 500, 375);
    }

    static Stream<Arguments> samplingsAndMcuWidths() {
        int[] widths = {8, 16, 16, 32, 8, 8}; // of SAMPLINGS' MCUs, in pixels
        return IntStream.range(0, SAMPLINGS.length).mapToObj(i -> Arguments.of(SAMPLINGS[i], widths[i]));
    }

    /** The file with the entropy data of its first {@code mcus} MCUs (up to their restart markers) set to zero. */
    private static byte[] wipeFirstMcus(byte[] jpeg, int mcus) {
        byte[] out = jpeg.clone();
        int p = 2;
        while ((out[p + 1] & 0xFF) != 0xDA) {
            p += 2 + ((out[p + 2] & 0xFF) << 8 | out[p + 3] & 0xFF);
        }
        p += 2 + ((out[p + 2] & 0xFF) << 8 | out[p + 3] & 0xFF);
        for (int markers = 0; markers < mcus; p++) {
            if ((out[p] & 0xFF) == 0xFF && (out[p + 1] & 0xF8) == 0xD0) {
                markers++;
                p++;
            } else {
                out[p] = 0;
            }
        }
        return out;
    }

    /** Region decoding leaves the rest alone: a small region at the top does not touch the bottom rows. */
    @Test
    void onlyTheRegionIsDecoded() throws Exception {
        assumeRegionDecoding();
        byte[] jpeg = Files.readAllBytes(Fixtures.file("preprocess_cv2/img_500x375.jpg"));
        byte[] region = region(jpeg, 1, 375, 500, 10, 200, 40, 50);
        int untouched = 0;
        for (int i = 3 * 500 * 100; i < region.length; i++) {
            untouched += region[i] == SENTINEL ? 1 : 0;
        }
        assertEquals(region.length - 3 * 500 * 100, untouched, "bytes below row 100 written");
    }

    private static final byte SENTINEL = 0x5A;

    /** The region decode in a fresh buffer of sentinel bytes (the whole scaled image, HWC). */
    private static byte[] region(byte[] jpeg, int reduction, int rows, int cols, int top, int left, int height,
                                 int width) throws UnreadableImageException {
        int h = (rows + reduction - 1) / reduction;
        int w = (cols + reduction - 1) / reduction;
        ByteBuffer pixels = Workspace.current().pixels(3 * h * w);
        byte[] fill = new byte[3 * h * w];
        Arrays.fill(fill, SENTINEL);
        pixels.put(0, fill);
        Mat image = ImageDecoding.decodeRegion(TestImages.direct(jpeg), reduction, rows, cols, top, left, height, width,
                JpegDecoder.TURBOJPEG, PixelLimit.DEFAULT);
        try {
            assertEquals(DirectBuffers.address(pixels), image.dataAddr(), "decoded by region into the workspace");
            byte[] out = new byte[3 * h * w];
            image.get(0, 0, out);
            return out;
        } finally {
            image.release();
        }
    }

    /** libjpeg-turbo's whole decode (which equals OpenCV's, JpegDecodingTest). */
    private static byte[] whole(byte[] jpeg, int reduction) throws UnreadableImageException {
        Mat image = ImageDecoding.decode(TestImages.direct(jpeg), reduction, JpegDecoder.TURBOJPEG,
                PixelLimit.DEFAULT);
        try {
            byte[] out = new byte[3 * image.rows() * image.cols()];
            image.get(0, 0, out);
            return out;
        } finally {
            image.release();
        }
    }

    /** The fixture photograph resized to rows x cols and encoded as a JPEG (sampling 0: grayscale). */
    public static byte[] photo(int rows, int cols, int sampling, boolean progressive, int restarts) throws Exception {
        Mat source = Imgcodecs.imread(Fixtures.file("preprocess_cv2/img_500x375.jpg").toString());
        Mat resized = new Mat();
        try {
            Imgproc.resize(source, resized, new Size(cols, rows), 0, 0, Imgproc.INTER_AREA);
            if (sampling == 0) {
                Imgproc.cvtColor(resized, resized, Imgproc.COLOR_BGR2GRAY);
                return TestImages.encode(resized, ".jpg", Imgcodecs.IMWRITE_JPEG_QUALITY, 90,
                        Imgcodecs.IMWRITE_JPEG_PROGRESSIVE, progressive ? 1 : 0,
                        Imgcodecs.IMWRITE_JPEG_RST_INTERVAL, restarts);
            }
            return TestImages.encode(resized, ".jpg", Imgcodecs.IMWRITE_JPEG_QUALITY, 90,
                    Imgcodecs.IMWRITE_JPEG_SAMPLING_FACTOR, sampling, Imgcodecs.IMWRITE_JPEG_PROGRESSIVE,
                    progressive ? 1 : 0, Imgcodecs.IMWRITE_JPEG_RST_INTERVAL, restarts);
        } finally {
            source.release();
            resized.release();
        }
    }
}
