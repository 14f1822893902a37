package mobilevit.data;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.opencv.core.CvType;
import org.opencv.core.Mat;
import org.opencv.imgcodecs.Imgcodecs;

import java.awt.image.DataBuffer;
import java.awt.image.Raster;
import java.awt.image.WritableRaster;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.stream.Collectors;

import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriter;
import javax.imageio.stream.ImageOutputStream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A folder with the kinds of broken or unusual files ImageNet-like data contains goes through a
 * whole epoch: readable ones are all used, unreadable ones are counted and listed, nothing crashes.
 */
class CorruptFilesTest {

    @TempDir
    static Path tmp;

    static Path root;
    static final Set<String> UNREADABLE = Set.of("zero.JPEG", "header_only.JPEG", "text.JPEG");
    static final Set<String> READABLE = Set.of("good_1.JPEG", "good_2.JPEG", "cut_in_scan.JPEG", "png.JPEG",
            "gray.JPEG", "cmyk.JPEG", "other_1.JPEG", "other_2.JPEG", "other_3.JPEG");

    @BeforeAll
    static void corpus() throws IOException {
        root = tmp.resolve("train");
        Path a = Files.createDirectories(root.resolve("n01"));
        Path b = Files.createDirectories(root.resolve("n02"));
        byte[] jpeg = SyntheticImageNet.image(0, new SplittableRandom(1));
        Files.write(a.resolve("good_1.JPEG"), jpeg);
        Files.write(a.resolve("good_2.JPEG"), SyntheticImageNet.image(1, new SplittableRandom(2)));
        Files.write(a.resolve("zero.JPEG"), new byte[0]);
        Files.write(a.resolve("header_only.JPEG"), Arrays.copyOf(jpeg, 300));
        Files.write(a.resolve("cut_in_scan.JPEG"), Arrays.copyOf(jpeg, jpeg.length * 2 / 3));
        Files.writeString(a.resolve("text.JPEG"), "<html>404 not found</html>\n");
        Files.write(a.resolve("png.JPEG"), TestImages.png(90, 120, (y, x, c) -> x + y * c));
        Mat gray = new Mat(100, 140, CvType.CV_8UC1);
        byte[] g = new byte[100 * 140];
        for (int i = 0; i < g.length; i++) {
            g[i] = (byte) (i * 7);
        }
        gray.put(0, 0, g);
        Files.write(a.resolve("gray.JPEG"), TestImages.encode(gray, ".jpg", Imgcodecs.IMWRITE_JPEG_QUALITY, 90));
        gray.release();
        Files.write(a.resolve("cmyk.JPEG"), cmykJpeg(80, 110));
        Files.createDirectories(a.resolve("folder.JPEG"));
        for (int i = 1; i <= 3; i++) {
            Files.write(b.resolve("other_" + i + ".JPEG"), SyntheticImageNet.image(2, new SplittableRandom(10 + i)));
        }
    }

    /** A 4-component (CMYK) JPEG, written by the JDK's encoder from a raster. */
    private static byte[] cmykJpeg(int h, int w) throws IOException {
        WritableRaster r = Raster.createInterleavedRaster(DataBuffer.TYPE_BYTE, w, h, 4, null);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                r.setPixel(x, y, new int[] {2 * x, 2 * y, 60, 20});
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

    @Test
    void theIndexHoldsFilesNotFolders() {
        ImageFolder folder = ImageFolder.open(root, null);
        Set<String> names = new HashSet<>();
        for (int i = 0; i < folder.size(); i++) {
            names.add(folder.path(i).getFileName().toString());
        }
        Set<String> expected = new HashSet<>(READABLE);
        expected.addAll(UNREADABLE);
        assertEquals(expected, names);
    }

    @Test
    void aTrainingEpochUsesEveryReadableImageAndListsTheOthers() throws IOException {
        ImageFolder folder = ImageFolder.open(root, null);
        MultiScaleSampler sampler = MultiScaleSampler.of(ScaleTable.Params.square(64, 32, 96, 3, 32, 3, 2),
                folder.size(), 1);
        Path lists = tmp.resolve("lists");
        Set<String> used = new HashSet<>();
        Set<String> skipped = new HashSet<>();
        int batches = 0;
        try (TrainLoader loader = new TrainLoader(folder, sampler, TrainTransform.paper(), 2, 2, 0).skippedListFolder(lists);
             Batches epoch = loader.epoch(0, 0)) {
            while (epoch.hasNext()) {
                Batch b = epoch.next();
                batches++;
                for (int k = 0; k < b.replicas(); k++) {
                    for (int i : b.indices(k)) {
                        used.add(folder.path(i).getFileName().toString());
                    }
                    assertEquals(b.indices(k).length, b.labelArray(k).length);
                    float[] data = b.imageData(k);
                    for (int i = 0; i < b.shardSize(k) * 3 * b.height() * b.width(); i++) {
                        assertTrue(data[i] >= 0 && data[i] <= 1);
                    }
                }
                b.skipped().forEach(s -> skipped.add(s.path().getFileName().toString()));
            }
            assertEquals(sampler.iterations(0), batches);
            assertEquals(READABLE, used);
            assertEquals(UNREADABLE, skipped);
            assertEquals(UNREADABLE, epoch.skipped().stream().map(s -> s.path().getFileName().toString())
                    .collect(Collectors.toSet()));
        }
        Set<String> listed = Files.readAllLines(lists.resolve("skipped-epoch-0.txt")).stream()
                .map(line -> Path.of(line.substring(0, line.indexOf('\t'))).getFileName().toString())
                .collect(Collectors.toSet());
        assertEquals(UNREADABLE, listed);
    }

    @Test
    void evaluationCountsEveryImageOnce() {
        ImageFolder folder = ImageFolder.open(root, null);
        int used = 0;
        int skipped = 0;
        try (EvalLoader loader = new EvalLoader(folder, EvalTransform.paper(), 4, 2, 2);
             Batches pass = loader.batches(null)) {
            while (pass.hasNext()) {
                Batch b = pass.next();
                used += b.shardSize(0);
                skipped += b.skipped().size();
            }
            assertEquals(UNREADABLE.size(), pass.skipped().size());
        }
        assertEquals(READABLE.size(), used);
        assertEquals(UNREADABLE.size(), skipped);
    }

    @Test
    void grayscaleBecomesThreeEqualChannelsAndCmykDecodes() throws Exception {
        EvalTransform eval = new EvalTransform(72, 64, Interpolation.BILINEAR);
        float[] gray = eval.apply(Files.readAllBytes(root.resolve("n01/gray.JPEG")));
        int plane = 64 * 64;
        assertArrayEquals(Arrays.copyOfRange(gray, 0, plane), Arrays.copyOfRange(gray, plane, 2 * plane));
        assertArrayEquals(Arrays.copyOfRange(gray, 0, plane), Arrays.copyOfRange(gray, 2 * plane, 3 * plane));
        float[] cmyk = eval.apply(Files.readAllBytes(root.resolve("n01/cmyk.JPEG")));
        assertFalse(Arrays.equals(Arrays.copyOfRange(cmyk, 0, plane), Arrays.copyOfRange(cmyk, 2 * plane, 3 * plane)),
                "a CMYK image has colour");
        float[] png = eval.apply(Files.readAllBytes(root.resolve("n01/png.JPEG")));
        assertTrue(png[64 * 63 + 63] > png[0] + 0.1, "the PNG's content (blue = x) is decoded");
    }
}
