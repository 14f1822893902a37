package mobilevit.data.pipeline;

import mobilevit.data.Fixtures;
import mobilevit.data.codec.JpegDecoder;
import mobilevit.data.codec.PixelLimit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Files;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The evaluation transform against the CVNets v0.1 (OpenCV) and Hugging Face (Pillow) fixtures. */
class EvalTransformTest {

    private static final double TOLERANCE = 2.0 / 255;

    /** CVNets v0.1's own evaluation tensor, bit for bit, whichever library decodes the JPEG. */
    @ParameterizedTest
    @CsvSource({"img_500x375, TURBOJPEG", "img_gray_320x240, TURBOJPEG", "img_500x375, OPENCV",
            "img_gray_320x240, OPENCV"})
    void bilinearEqualsCvnetsFromTheJpeg(String img, JpegDecoder decoder) throws Exception {
        float[] expected = Fixtures.npyFloats("preprocess_cv2/" + img + "_eval_cv2_bgr_chw.npy");
        float[] actual = new EvalTransform(288, 256, Interpolation.BILINEAR, decoder, PixelLimit.DEFAULT)
                .apply(Files.readAllBytes(Fixtures.file("preprocess_cv2/" + img + ".jpg")));
        assertArrayEquals(expected, actual);
    }

    @ParameterizedTest
    @ValueSource(strings = {"img_500x375", "img_gray_320x240"})
    void bilinearEqualsCvnetsFromTheDecodedPng(String img) throws Exception {
        float[] expected = Fixtures.npyFloats("preprocess_cv2/" + img + "_eval_cv2_from_png.npy");
        float[] actual = eval(Interpolation.BILINEAR, "preprocess/" + img + "_decoded.png");
        assertArrayEquals(expected, actual);
    }

    @ParameterizedTest
    @ValueSource(strings = {"img_500x375", "img_gray_320x240"})
    void antialiasMatchesPillowFromTheDecodedPng(String img) throws Exception {
        float[] expected = Fixtures.npyFloats("preprocess/" + img + "_eval_bgr_chw.npy");
        float[] actual = eval(Interpolation.BILINEAR_ANTIALIAS, "preprocess/" + img + "_decoded.png");
        assertClose(expected, actual);
    }

    @ParameterizedTest
    @ValueSource(strings = {"img_500x375", "img_gray_320x240"})
    void antialiasMatchesPillowFromTheJpeg(String img) throws Exception {
        // Pillow and OpenCV decode these JPEGs identically (fixtures/README.md).
        float[] expected = Fixtures.npyFloats("preprocess/" + img + "_eval_bgr_chw.npy");
        float[] actual = eval(Interpolation.BILINEAR_ANTIALIAS, "preprocess/" + img + ".jpg");
        assertClose(expected, actual);
    }

    /** The two modes differ where the image is shrunk, so the tests above can tell them apart. */
    @Test
    void theModesDifferWhenDownscaling() throws Exception {
        float[] pil = Fixtures.npyFloats("preprocess/img_500x375_eval_bgr_chw.npy");
        float[] bilinear = eval(Interpolation.BILINEAR, "preprocess_cv2/img_500x375.jpg");
        assertTrue(maxAbsDiff(pil, bilinear) > 0.2, "OpenCV bilinear should differ from Pillow's antialiased filter");
    }

    private static float[] eval(Interpolation interpolation, String file) throws Exception {
        return new EvalTransform(288, 256, interpolation).apply(Files.readAllBytes(Fixtures.file(file)));
    }

    static double maxAbsDiff(float[] a, float[] b) {
        assertEquals(a.length, b.length);
        double max = 0;
        for (int i = 0; i < a.length; i++) {
            max = Math.max(max, Math.abs(a[i] - b[i]));
        }
        return max;
    }

    private static void assertClose(float[] expected, float[] actual) {
        assertEquals(3 * 256 * 256, expected.length);
        double diff = maxAbsDiff(expected, actual);
        assertTrue(diff <= TOLERANCE, "max |diff| " + diff + " > 2/255");
    }
}
