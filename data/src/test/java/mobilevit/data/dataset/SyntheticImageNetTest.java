package mobilevit.data.dataset;

import mobilevit.core.UserError;
import mobilevit.data.TestImages;
import mobilevit.data.codec.ImageDecoding;
import mobilevit.data.codec.JpegDecoder;
import mobilevit.data.codec.PixelLimit;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.opencv.core.Mat;
import org.opencv.imgproc.Imgproc;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SyntheticImageNetTest {

    @TempDir
    Path tmp;

    @Test
    @Tag("slow")
    void writesAnImageNetLayoutThatCanBeLearnt() throws Exception {
        Path out = tmp.resolve("synth");
        SyntheticImageNet.generate(out, 10, 60, 20, 1);

        ImageFolder train = ImageFolder.open(out.resolve("train"), null);
        ImageFolder val = ImageFolder.open(out.resolve("val"), null);
        assertEquals(600, train.size());
        assertEquals(200, val.size());
        assertEquals(10, train.classes().size());
        assertEquals(train.classes(), val.classes());
        assertEquals(SyntheticImageNet.className(3), train.classes().get(3));
        for (int i = 0; i < train.size(); i += 7) {
            int[] size = ImageDecoding.jpegSize(TestImages.direct(Files.readAllBytes(train.path(i))));
            assertTrue(size[0] >= 200 && size[0] <= 500 && size[1] >= 200 && size[1] <= 500);
            assertTrue(train.path(i).getFileName().toString().endsWith(".JPEG"));
        }
        List<Path> leftovers;
        try (var s = Files.list(tmp)) {
            leftovers = s.filter(p -> !p.equals(out)).toList();
        }
        assertEquals(List.of(), leftovers, "no temporary folder left behind");

        // A nearest-centroid classifier on hue histograms already separates the classes.
        double[][] centroids = new double[10][];
        for (int i = 0; i < train.size(); i++) {
            double[] h = hueHistogram(train.path(i));
            int c = train.label(i);
            if (centroids[c] == null) {
                centroids[c] = new double[h.length];
            }
            for (int b = 0; b < h.length; b++) {
                centroids[c][b] += h[b];
            }
        }
        int correct = 0;
        for (int i = 0; i < val.size(); i++) {
            double[] h = hueHistogram(val.path(i));
            int best = -1;
            double bestDistance = Double.MAX_VALUE;
            for (int c = 0; c < 10; c++) {
                double d = 0;
                for (int b = 0; b < h.length; b++) {
                    double diff = h[b] - centroids[c][b] / 60;
                    d += diff * diff;
                }
                if (d < bestDistance) {
                    bestDistance = d;
                    best = c;
                }
            }
            correct += best == val.label(i) ? 1 : 0;
        }
        assertTrue(correct >= 0.8 * val.size(), correct + " of " + val.size() + " right (chance: 10 %)");
    }

    @Test
    void sameSeedSameBytes() throws Exception {
        SyntheticImageNet.generate(tmp.resolve("a"), 2, 3, 1, 5);
        SyntheticImageNet.generate(tmp.resolve("b"), 2, 3, 1, 5);
        SyntheticImageNet.generate(tmp.resolve("c"), 2, 3, 1, 6);
        String file = "train/" + SyntheticImageNet.className(1) + "/" + SyntheticImageNet.className(1) + "_00002.JPEG";
        assertArrayEquals(Files.readAllBytes(tmp.resolve("a").resolve(file)), Files.readAllBytes(tmp.resolve("b").resolve(file)));
        assertFalse(java.util.Arrays.equals(Files.readAllBytes(tmp.resolve("a").resolve(file)),
                Files.readAllBytes(tmp.resolve("c").resolve(file))));
    }

    @Test
    void makesTheParentsOfANewNestedOutput() throws IOException {
        Path out = tmp.resolve("new/nested/data");
        SyntheticImageNet.generate(out, 2, 2, 1, 0);
        assertTrue(Files.isRegularFile(out.resolve("val/" + SyntheticImageNet.className(1) + "/"
                + SyntheticImageNet.className(1) + "_00000.JPEG")));
    }

    @Test
    void refusesANonEmptyOutput() throws IOException {
        Path out = Files.createDirectories(tmp.resolve("full"));
        Files.writeString(out.resolve("keep.txt"), "x");
        assertEquals("output " + out + " exists and is not an empty folder",
                assertThrows(UserError.class, () -> SyntheticImageNet.generate(out, 2, 2, 1, 0)).getMessage());
        assertEquals("need at least 1 class and 1 training image per class, got 0 classes, 2 train and 1 val per class",
                assertThrows(UserError.class, () -> SyntheticImageNet.generate(tmp.resolve("z"), 0, 2, 1, 0)).getMessage());
    }

    /** Normalised 18-bin hue histogram of the saturated pixels. */
    private static double[] hueHistogram(Path file) throws Exception {
        Mat bgr = ImageDecoding.decode(TestImages.direct(Files.readAllBytes(file)), 4, JpegDecoder.best(),
                PixelLimit.DEFAULT);
        Mat hsv = new Mat();
        Imgproc.cvtColor(bgr, hsv, Imgproc.COLOR_BGR2HSV);
        byte[] px = new byte[3 * hsv.rows() * hsv.cols()];
        hsv.get(0, 0, px);
        bgr.release();
        hsv.release();
        double[] h = new double[18];
        int n = 0;
        for (int i = 0; i < px.length; i += 3) {
            if ((px[i + 1] & 0xFF) > 120 && (px[i + 2] & 0xFF) > 120) {
                h[(px[i] & 0xFF) / 10]++;
                n++;
            }
        }
        for (int b = 0; b < h.length; b++) {
            h[b] /= Math.max(1, n);
        }
        return h;
    }
}
