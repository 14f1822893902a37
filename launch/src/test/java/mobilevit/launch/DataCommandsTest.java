package mobilevit.launch;

import ai.djl.ndarray.NDManager;

import mobilevit.data.codec.JpegRegionTest;
import mobilevit.model.Npy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.awt.image.BufferedImage;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;

import javax.imageio.ImageIO;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The preprocess and synth commands end to end, and their one-line errors. */
class DataCommandsTest {

    @TempDir
    Path tmp;

    private static Path fixture(String relative) {
        return Paths.get(System.getProperty("fixtures.dir", "../fixtures")).resolve(relative);
    }

    private static float[] npy(Path file) throws Exception {
        try (NDManager m = NDManager.newBaseManager(); InputStream in = Files.newInputStream(file)) {
            return Npy.read(m, in).toFloatArray();
        }
    }

    @Test
    void preprocessWritesTheEvalTensorOfBothReferences() throws Exception {
        Path out = tmp.resolve("x.npy");
        assertEquals(0, Main.execute("preprocess", "--image", fixture("preprocess_cv2/img_500x375.jpg").toString(),
                "--output", out.toString()));
        assertArrayEquals(npy(fixture("preprocess_cv2/img_500x375_eval_cv2_bgr_chw.npy")), npy(out), 2f / 255);
        assertEquals(0, Main.execute("preprocess", "--image", fixture("preprocess/img_500x375_decoded.png").toString(),
                "--output", out.toString(), "--interpolation", "bilinear-antialias"));
        assertArrayEquals(npy(fixture("preprocess/img_500x375_eval_bgr_chw.npy")), npy(out), 2f / 255);
    }

    @Test
    void badInputIsExitCodeTwoAndOneLineNamingTheProblem() throws Exception {
        Path text = Files.writeString(tmp.resolve("text.jpg"), "not an image");
        Path missing = tmp.resolve("missing.jpg");
        String out = tmp.resolve("x.npy").toString();
        Cli.run("preprocess", "--image", missing.toString(), "--output", out)
                .failsWithOneLine(2, "error: image " + missing + " does not exist");
        Cli.run("preprocess", "--image", text.toString(), "--output", out)
                .failsWithOneLine(2, "error: cannot decode " + text + ": not a decodable image (12 bytes)");
        Cli.run("preprocess", "--image", text.toString(), "--output", out, "--interpolation", "cubic")
                .failsWithOneLine(2, "error: unknown interpolation 'cubic' (expected bilinear or bilinear-antialias)");
        Cli.run("synth", "--output", tmp.resolve("s").toString(), "--classes", "0")
                .failsWithOneLine(2, "error: --classes must be positive, got 0");
        Cli.run("synth", "--output", tmp.toString())
                .failsWithOneLine(2, "error: output " + tmp + " exists and is not an empty folder");
        Path nothing = tmp.resolve("nothing");
        Cli.run("bench", "data", "--data", nothing.toString())
                .failsWithOneLine(2, "error: image folder " + nothing + " does not exist");
        Cli.run("bench", "data", "--threads", "1,0")
                .failsWithOneLine(2, "error: --threads must be positive, got 0");
        Cli.run("bench", "data", "--decoding", "crop")
                .failsWithOneLine(2, "error: decoding must be region, reduced or full, got 'crop'");
        Cli.run("synth", "--output", tmp.resolve("t").toString(), "--image-size", "500")
                .failsWithOneLine(2, "error: image size must be WIDTHxHEIGHT, e.g. 500x375, got '500'");
        Cli.run("synth", "--output", tmp.resolve("t").toString(), "--image-size", "8x8")
                .failsWithOneLine(2, "error: image size must be 16 to 8192 pixels a side, got 8x8");
        Cli.run("transcode", "--input", nothing.toString(), "--output", tmp.resolve("copy").toString())
                .failsWithOneLine(2, "error: input " + nothing + " is not a folder");
        Cli.run("transcode", "--input", tmp.toString(), "--output", tmp.resolve("copy").toString())
                .failsWithOneLine(2, "error: output " + tmp.resolve("copy") + " and input " + tmp
                        + " must not contain each other");
        Cli.run("transcode", "--input", tmp.toString(), "--output", tmp.resolve("copy").toString(), "--threads", "0")
                .failsWithOneLine(2, "error: --threads must be positive, got 0");
    }

    @Test
    void transcodeCopiesADatasetAndResumes() throws Exception {
        JpegRegionTest.assumeRegionDecoding(); // transcode re-encodes with libmobilevit_jpeg.so
        Path data = tmp.resolve("synth");
        Path copy = tmp.resolve("copy");
        assertEquals(0, Main.execute("synth", "--output", data.toString(), "--classes", "2", "--train-per-class", "3",
                "--val-per-class", "1"));
        Cli.Result first = Cli.run("transcode", "--input", data.toString(), "--output", copy.toString());
        assertEquals(0, first.exitCode(), first.err());
        assertTrue(first.out().contains(copy + ": 8 files; 8 JPEGs re-encoded"), first.out());
        assertTrue(first.err().contains("transcode [") && first.err().contains("8/8 images"), first.err());
        Path file = copy.resolve("val/s0001-plain-square/s0001-plain-square_00000.JPEG");
        assertTrue(Files.size(file) > 1000);
        Files.delete(file);
        Cli.Result second = Cli.run("transcode", "--input", data.toString(), "--output", copy.toString(),
                "--threads", "1");
        assertEquals(0, second.exitCode(), second.err());
        assertTrue(second.out().contains("8 files; 1 JPEGs re-encoded") && second.out().contains("7 already there"),
                second.out());
        assertTrue(Files.size(file) > 1000);
    }

    @Test
    void synthWritesTheLayout() {
        Path out = tmp.resolve("synth");
        assertEquals(0, Main.execute("synth", "--output", out.toString(), "--classes", "3", "--train-per-class", "2",
                "--val-per-class", "1", "--seed", "4"));
        assertTrue(Files.isDirectory(out.resolve("train/s0002-plain-triangle")));
        assertTrue(Files.isRegularFile(out.resolve("val/s0000-plain-circle/s0000-plain-circle_00000.JPEG")));
    }

    @Test
    void synthMakesImageNetLikeJpegs() throws Exception {
        Path out = tmp.resolve("imagenet-like");
        assertEquals(0, Main.execute("synth", "--output", out.toString(), "--classes", "2", "--train-per-class", "2",
                "--val-per-class", "0", "--image-size", "500x375"));
        try (var files = Files.walk(out)) {
            for (Path f : files.filter(Files::isRegularFile).toList()) {
                BufferedImage image = ImageIO.read(f.toFile());
                assertEquals(500, image.getWidth(), f.toString());
                assertEquals(375, image.getHeight(), f.toString());
            }
        }
    }
}
