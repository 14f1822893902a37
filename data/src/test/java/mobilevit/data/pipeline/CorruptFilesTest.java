package mobilevit.data.pipeline;

import mobilevit.data.BadImages;
import mobilevit.data.dataset.ImageFolder;
import mobilevit.data.dataset.SyntheticImageNet;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.stream.Collectors;
import java.util.stream.Stream;


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
    static final Set<String> UNREADABLE = Set.copyOf(BadImages.UNREADABLE);
    static final Set<String> READABLE = Stream.concat(BadImages.READABLE.stream(),
            Stream.of("good_1.JPEG", "good_2.JPEG", "other_1.JPEG", "other_2.JPEG", "other_3.JPEG"))
            .collect(Collectors.toSet());

    @BeforeAll
    static void corpus() throws IOException {
        root = tmp.resolve("train");
        Path a = Files.createDirectories(root.resolve("n01"));
        Path b = Files.createDirectories(root.resolve("n02"));
        Files.write(a.resolve("good_1.JPEG"), SyntheticImageNet.image(0, new SplittableRandom(1), null));
        Files.write(a.resolve("good_2.JPEG"), SyntheticImageNet.image(1, new SplittableRandom(2), null));
        BadImages.write(a, a.resolve("good_1.JPEG"));
        for (int i = 1; i <= 3; i++) {
            Files.write(b.resolve("other_" + i + ".JPEG"), SyntheticImageNet.image(2, new SplittableRandom(10 + i), null));
        }
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
                    assertEquals(b.shardSize(k) * 3 * b.height() * b.width(), b.pixels(k).remaining());
                }
                b.skipped().forEach(s -> skipped.add(s.path().getFileName().toString()));
            }
            assertEquals(sampler.iterations(0), batches);
            assertEquals(READABLE, used);
            assertEquals(UNREADABLE, skipped);
            assertEquals(UNREADABLE, epoch.skipped().stream().map(s -> s.path().getFileName().toString())
                    .collect(Collectors.toSet()));
            for (SkippedImage s : epoch.skipped()) {
                String name = s.path().getFileName().toString();
                if (name.startsWith("claims_")) { // claims_WxH.*: refused by the size in its header
                    assertEquals(name.substring(0, name.indexOf('.')).replace('_', ' ') + BadImages.OVER_THE_LIMIT,
                            s.reason());
                }
            }
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
        float[] gray = eval.apply(Files.readAllBytes(root.resolve("n01/grayscale.JPEG")));
        int plane = 64 * 64;
        assertArrayEquals(Arrays.copyOfRange(gray, 0, plane), Arrays.copyOfRange(gray, plane, 2 * plane));
        assertArrayEquals(Arrays.copyOfRange(gray, 0, plane), Arrays.copyOfRange(gray, 2 * plane, 3 * plane));
        float[] cmyk = eval.apply(Files.readAllBytes(root.resolve("n01/cmyk.JPEG")));
        assertFalse(Arrays.equals(Arrays.copyOfRange(cmyk, 0, plane), Arrays.copyOfRange(cmyk, 2 * plane, 3 * plane)),
                "a CMYK image has colour");
        float[] png = eval.apply(Files.readAllBytes(root.resolve("n01/png_named.JPEG")));
        assertTrue(png[64 * 63 + 63] > png[0] + 0.1, "the PNG's content (blue = x + y) is decoded");
    }
}
