package mobilevit.data.dataset;

import mobilevit.core.UserError;
import mobilevit.data.BadImages;
import mobilevit.data.codec.ExifOrientationTest;
import mobilevit.data.codec.ImageDecoding;
import mobilevit.data.codec.JpegRegionTest;
import mobilevit.data.codec.RestartMarkers;
import mobilevit.data.pipeline.Batch;
import mobilevit.data.pipeline.Batches;
import mobilevit.data.pipeline.MultiScaleSampler;
import mobilevit.data.pipeline.ScaleTable;
import mobilevit.data.pipeline.TrainLoader;
import mobilevit.data.pipeline.TrainTransform;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The restart-marked copy of a dataset: every readable JPEG re-encoded (the same pixels), the rest
 * copied as it is, the same folders; training batches from it equal those from the original; a
 * stopped copy resumes.
 */
class RestartMarkedCopyTest {

    @TempDir
    Path tmp;

    private Path dataset() throws Exception {
        Path data = tmp.resolve("synth");
        SyntheticImageNet.generate(data, 3, 9, 2, 4);
        Path odd = data.resolve("train").resolve(SyntheticImageNet.className(0));
        Path photo = odd.resolve(SyntheticImageNet.className(0) + "_00000.JPEG");
        BadImages.write(odd, photo);
        // EXIF orientation 6 (rotate 90): the copy keeps the EXIF segment, so it decodes rotated too
        Files.write(odd.resolve("rotated.JPEG"), ExifOrientationTest.withOrientation(Files.readAllBytes(photo), 6,
                false));
        Files.createDirectories(data.resolve("train/s9999-empty-class"));
        Files.writeString(data.resolve("LICENSE.txt"), "not an image\n");
        return data;
    }

    private static List<Path> tree(Path root) throws Exception {
        try (Stream<Path> walk = Files.walk(root)) {
            return walk.map(root::relativize).sorted().toList();
        }
    }

    @Test
    void copiesEveryFileWithTheSamePixelsAndRestartMarkersInTheJpegs() throws Exception {
        JpegRegionTest.assumeRegionDecoding();
        Path in = dataset();
        Path out = tmp.resolve("marked");
        List<long[]> progress = new ArrayList<>();
        RestartMarkedCopy.Summary summary = RestartMarkedCopy.copy(in, out, 3, (done, total) -> {
            synchronized (progress) {
                progress.add(new long[] {done, total});
            }
        });
        assertEquals(tree(in), tree(out), "the same files and folders");
        assertTrue(RestartMarkedCopy.wouldHelp(ImageFolder.open(in.resolve("val"), null)), "the original");
        assertFalse(RestartMarkedCopy.wouldHelp(ImageFolder.open(out.resolve("val"), null)), "the copy");
        int unreadable = BadImages.UNREADABLE.size();
        // synth, the odd corpus, rotated.JPEG, LICENSE.txt
        int files = 3 * 9 + 3 * 2 + unreadable + BadImages.READABLE.size() + 1 + 1;
        assertEquals(files, summary.files());
        assertEquals(files, progress.size());
        assertTrue(progress.stream().anyMatch(p -> p[0] == files && p[1] == files), "progress reached the end");
        // kept as they were: the unreadable files, the file cut mid-scan, the PNG named .JPEG, the text file
        assertEquals(unreadable + 3, summary.keptAsTheyWere());
        assertEquals(files - unreadable - 3, summary.reencoded());
        assertEquals(0, summary.alreadyThere());
        for (Path file : tree(in)) {
            Path a = in.resolve(file.toString());
            Path b = out.resolve(file.toString());
            if (!Files.isRegularFile(a)) {
                continue;
            }
            byte[] original = Files.readAllBytes(a);
            byte[] copy = Files.readAllBytes(b);
            boolean reencoded = !java.util.Arrays.equals(original, copy);
            if (reencoded) {
                assertTrue(RestartMarkers.present(copy), file + " has a restart marker after every MCU");
                ImageDecoding.Pixels expected = ImageDecoding.decode(original);
                ImageDecoding.Pixels actual = ImageDecoding.decode(copy);
                assertEquals(expected.height(), actual.height(), file.toString());
                assertEquals(expected.width(), actual.width(), file.toString());
                assertArrayEquals(expected.bgr(), actual.bgr(), file + ": the same pixels");
            } else {
                String name = file.getFileName().toString();
                assertTrue(BadImages.UNREADABLE.contains(name) || name.equals("cut_in_scan.JPEG")
                        || name.equals("png_named.JPEG") || name.equals("LICENSE.txt"), file + " was not re-encoded");
            }
        }
        ImageDecoding.Pixels rotated = ImageDecoding.decode(Files.readAllBytes(out.resolve("train/"
                + SyntheticImageNet.className(0) + "/rotated.JPEG")));
        ImageDecoding.Pixels upright = ImageDecoding.decode(Files.readAllBytes(out.resolve("train/"
                + SyntheticImageNet.className(0) + "/" + SyntheticImageNet.className(0) + "_00000.JPEG")));
        assertEquals(upright.width(), rotated.height(), "the copy of the rotated file still decodes rotated");
        // the cmyk and grayscale JPEGs are re-encoded too
        assertFalse(java.util.Arrays.equals(Files.readAllBytes(in.resolve("train/" + SyntheticImageNet.className(0)
                + "/cmyk.JPEG")), Files.readAllBytes(out.resolve("train/" + SyntheticImageNet.className(0) + "/cmyk.JPEG"))));
    }

    @Test
    void trainingBatchesFromTheCopyEqualThoseFromTheOriginal() throws Exception {
        JpegRegionTest.assumeRegionDecoding();
        Path in = tmp.resolve("synth");
        SyntheticImageNet.generate(in, 4, 13, 0, 3, SyntheticImageNet.ImageSize.IMAGENET);
        Path out = tmp.resolve("marked");
        RestartMarkedCopy.copy(in, out, 2, (done, total) -> { });
        ImageFolder original = ImageFolder.open(in.resolve("train"), null);
        ImageFolder copy = ImageFolder.open(out.resolve("train"), null);
        MultiScaleSampler sampler = MultiScaleSampler.of(ScaleTable.Params.square(128, 96, 256, 3, 16, 4, 2),
                original.size(), 21);
        try (TrainLoader a = new TrainLoader(original, sampler, TrainTransform.paper(), 2, 2, 5);
             TrainLoader b = new TrainLoader(copy, sampler, TrainTransform.paper(), 2, 2, 5);
             Batches x = a.epoch(0, 0);
             Batches y = b.epoch(0, 0)) {
            int batches = 0;
            while (x.hasNext()) {
                try (Batch p = x.next(); Batch q = y.next()) {
                    assertEquals(p.height(), q.height());
                    for (int k = 0; k < p.replicas(); k++) {
                        assertArrayEquals(p.indices(k), q.indices(k));
                        assertEquals(p.pixels(k), q.pixels(k), "batch " + p.iteration() + " shard " + k);
                    }
                }
                batches++;
            }
            assertFalse(y.hasNext());
            assertTrue(batches >= 4, batches + " batches");
        }
    }

    @Test
    void aStoppedCopyResumesAndLeavesNoTemporaryFiles() throws Exception {
        JpegRegionTest.assumeRegionDecoding();
        Path in = tmp.resolve("synth");
        SyntheticImageNet.generate(in, 2, 5, 0, 1);
        Path out = tmp.resolve("marked");
        RestartMarkedCopy.Summary first = RestartMarkedCopy.copy(in, out, 1, (done, total) -> { });
        Path classFolder = out.resolve("train/" + SyntheticImageNet.className(1));
        Path lost = classFolder.resolve(SyntheticImageNet.className(1) + "_00003.JPEG");
        byte[] expected = Files.readAllBytes(lost);
        Files.delete(lost); // as if killed before its rename, which left a temporary file
        Files.write(classFolder.resolve("." + lost.getFileName() + ".123456789.tmp"), new byte[] {1, 2, 3});
        RestartMarkedCopy.Summary second = RestartMarkedCopy.copy(in, out, 2, (done, total) -> { });
        assertEquals(first.files(), second.files());
        assertEquals(first.files() - 1, second.alreadyThere());
        assertEquals(1, second.reencoded());
        assertArrayEquals(expected, Files.readAllBytes(lost));
        assertEquals(tree(in), tree(out), "no temporary file left");
    }

    @Test
    void refusesAnOutputInsideTheInputOrAMissingInput() throws Exception {
        Path in = tmp.resolve("synth");
        SyntheticImageNet.generate(in, 1, 2, 0, 1);
        UserError inside = assertThrows(UserError.class,
                () -> RestartMarkedCopy.copy(in, in.resolve("train/copy"), 1, (d, t) -> { }));
        assertTrue(inside.getMessage().contains("must not contain each other"), inside.getMessage());
        UserError missing = assertThrows(UserError.class,
                () -> RestartMarkedCopy.copy(tmp.resolve("nope"), tmp.resolve("out"), 1, (d, t) -> { }));
        assertTrue(missing.getMessage().contains("nope") && missing.getMessage().contains("not a folder"),
                missing.getMessage());
    }
}
