package mobilevit.data.pipeline;

import mobilevit.data.BadImages;
import mobilevit.data.Fixtures;
import mobilevit.data.TestImages;
import mobilevit.data.codec.ImageDecoding;
import mobilevit.data.codec.JpegDecoder;
import mobilevit.data.codec.JpegRegionTest;
import mobilevit.data.codec.PixelLimit;
import mobilevit.data.codec.RestartMarkers;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.opencv.imgcodecs.Imgcodecs;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Training crops made by region decoding ({@link TrainTransform.Decoding#REGION}) equal those made
 * from reduced whole-image decodes. Skipped where region decoding is off, as {@code JpegRegionTest}.
 */
public class RegionCropsTest {

    @TempDir
    static Path tmp;

    @BeforeAll
    static void corpus() throws Exception {
        BadImages.write(tmp, Fixtures.file("preprocess_cv2/img_500x375.jpg"));
    }

    /**
     * The training crops of REGION equal REDUCED's, bit for bit, at every reduction, from the file
     * and from its restart-marked copy; also for the odd files, where the region path falls back to
     * whole decoding (CMYK) or decodes above the damage (a file cut mid-scan, which is not re-encoded).
     */
    @ParameterizedTest
    @ValueSource(strings = {"preprocess_cv2/img_500x375.jpg", "preprocess_cv2/img_gray_320x240.jpg", "cut_in_scan.JPEG",
            "cmyk.JPEG", "grayscale.JPEG", "progressive_444"})
    void trainingCropsEqualThoseOfWholeDecoding(String name) throws Exception {
        JpegRegionTest.assumeRegionDecoding();
        byte[] jpeg = switch (name) {
            case "progressive_444" -> JpegRegionTest.photo(375, 500, Imgcodecs.IMWRITE_JPEG_SAMPLING_FACTOR_444, true, 0);
            default -> Files.readAllBytes(name.startsWith("preprocess") ? Fixtures.file(name) : tmp.resolve(name));
        };
        TrainTransform region = transform(TrainTransform.Decoding.REGION);
        TrainTransform reduced = transform(TrainTransform.Decoding.REDUCED);
        Optional<byte[]> marked = RestartMarkers.add(jpeg); // all but the file cut mid-scan
        assertEquals(!name.equals("cut_in_scan.JPEG"), marked.isPresent(), "re-encoded");
        Set<Integer> reductions = new TreeSet<>();
        int[] size = ImageDecoding.jpegSize(TestImages.direct(jpeg));
        for (int out : new int[] {24, 48, 96, 160, 256}) {
            for (long k = 0; k < 30; k++) {
                long sample = k;
                Supplier<RandomDraws> draws = () -> RandomDraws.seeded(5, out, sample);
                CropBox box = new RandomResizedCrop(RandomResizedCrop.Variant.CVNETS_V01).params(size[0], size[1],
                        draws.get());
                reductions.add(TrainTransform.reduction(box, out, out));
                byte[] expected = TrainTransformTest.apply(reduced, jpeg, out, out, draws);
                assertArrayEquals(expected, TrainTransformTest.apply(region, jpeg, out, out, draws),
                        name + " at " + out + ", sample " + k);
                if (marked.isPresent()) {
                    assertArrayEquals(expected, TrainTransformTest.apply(region, marked.get(), out, out, draws),
                            name + " restart-marked at " + out + ", sample " + k);
                }
            }
        }
        // the small odd files (140x100 and less) reach only 1/2 or 1/4 at these sizes
        assertEquals(size[0] >= 240 ? List.of(1, 2, 4, 8) : List.of(1, 2), List.copyOf(reductions).subList(0,
                size[0] >= 240 ? reductions.size() : 2), "reductions reached");
    }

    private static TrainTransform transform(TrainTransform.Decoding decoding) {
        return new TrainTransform(RandomResizedCrop.Variant.CVNETS_V01, Interpolation.BILINEAR, decoding,
                JpegDecoder.TURBOJPEG, PixelLimit.DEFAULT);
    }
}
