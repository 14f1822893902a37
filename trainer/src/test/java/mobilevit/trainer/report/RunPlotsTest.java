package mobilevit.trainer.report;


import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import javax.imageio.ImageIO;

/** Plots of any run folder, also of one interrupted before or after its first epoch. */
class RunPlotsTest {

    @TempDir
    Path run;

    @Test
    void plotsARunInterruptedBeforeItsFirstEpochEnded() throws IOException {
        Files.writeString(run.resolve("metrics.csv"), EpochMetrics.HEADER + "\n");
        RunPlots.write(run, run.resolve("plots"));
        assertPngs(run.resolve("plots"));
    }

    /**
     * A SIGINT or SIGTERM that ends an epoch lets the epoch finish, plots included, while the JVM
     * is shutting down (its hooks run): the plots are drawn there too. Run in a child JVM whose
     * shutdown hook draws them.
     */
    @Test
    void plotsWhileTheJvmShutsDown() throws Exception {
        Files.writeString(run.resolve("metrics.csv"), EpochMetrics.HEADER + "\n"
                + "1,3,30,2.250000,0.00200000,40.0000,90.0000,35.0000,88.0000,0,0\n");
        String javaBinary = ProcessHandle.current().info().command().orElse("java");
        String cp = System.getProperty("java.class.path");
        if (!cp.contains("classes")) {
            cp = System.getProperty("surefire.test.class.path", cp); // surefire's manifest-only jar
        }
        Process child = new ProcessBuilder(javaBinary, "-cp", cp, PlotsInShutdownHook.class.getName(), run.toString())
                .redirectErrorStream(true).start();
        String output = new String(child.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, child.waitFor(), output);
        assertEquals("plotted during shutdown", output.strip());
        assertPngs(run.resolve("plots"));
    }

    /** The child JVM of {@link #plotsWhileTheJvmShutsDown}: draws the plots of {@code args[0]} in a shutdown hook. */
    static final class PlotsInShutdownHook {
        public static void main(String[] args) {
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                try {
                    RunPlots.write(Path.of(args[0]), Path.of(args[0]).resolve("plots"));
                    System.out.println("plotted during shutdown");
                } catch (IOException | RuntimeException e) {
                    System.out.println("failed: " + e);
                    Runtime.getRuntime().halt(3);
                }
            }));
        }
    }

    @Test
    void plotsOneEpochAndSkipsALineCutOffByAKill() throws IOException {
        Files.writeString(run.resolve("metrics.csv"), EpochMetrics.HEADER + "\n"
                + "1,3,30,2.250000,0.00200000,40.0000,90.0000,35.0000,88.0000,0,0\n");
        Files.writeString(run.resolve("log.jsonl"), "{\"step\":1,\"loss\":2.3,\"lr\":0.001}\n"
                + "{\"epoch\":1,\"event\":\"epoch\"}\n{\"step\":2,\"loss\":2.2,\"lr\":0.002}\n{\"step\":3,\"lo");
        RunPlots.write(run, run.resolve("plots"));
        assertPngs(run.resolve("plots"));
    }

    @Test
    void metricsCsvReadsBackAsTheRowsWritten() throws IOException {
        EpochMetrics written = new EpochMetrics();
        written.add(new EpochMetrics.Row(1, 3, 30, 2.25, 0.002, 40, 90, 35, 88, 0, 1));
        written.add(new EpochMetrics.Row(2, 3, 30, 1.5, 0.00125, 62.5, 100, 50, 97.5, 2, 0));
        written.writeCsv(run.resolve("metrics.csv"));
        assertEquals(written.rows(), EpochMetrics.readCsv(run.resolve("metrics.csv")));
    }

    @Test
    void refusesAMetricsCsvWithAMissingColumnOrABadRow() throws IOException {
        Path csv = run.resolve("metrics.csv");
        Files.writeString(csv, "epoch,iterations\n1,3\n");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> EpochMetrics.readCsv(csv));
        assertEquals(csv + " has no column 'images' (header: epoch,iterations)", e.getMessage());
        Files.writeString(csv, EpochMetrics.HEADER + "\n1,3,30,2.25,0.002,40,90,35,88,0,0\n2,3,30\n");
        e = assertThrows(IllegalArgumentException.class, () -> EpochMetrics.readCsv(csv));
        assertEquals(csv + ", line 3: 3 values, the header has 11", e.getMessage());
        Files.writeString(csv, EpochMetrics.HEADER + "\n1,3,30,2.25,0.002,x,90,35,88,0,0\n");
        e = assertThrows(IllegalArgumentException.class, () -> EpochMetrics.readCsv(csv));
        assertEquals(csv + ", line 2: not a row of numbers (For input string: \"x\")", e.getMessage());
    }

    @Test
    void refusesAFolderThatIsNoRun() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> RunPlots.write(run, run.resolve("plots")));
        assertEquals(run + " is not a run folder (it has neither metrics.csv nor log.jsonl)", e.getMessage());
    }

    @Test
    void removesWhatAKilledWriteLeftAndNothingElse() throws IOException {
        Path plots = Files.createDirectories(run.resolve("plots"));
        Files.writeString(plots.resolve(".loss.png.8812345.tmp"), "half");
        Files.writeString(plots.resolve("loss.png"), "kept");
        assertEquals(1, RunPlots.removeLeftovers(plots));
        try (Stream<Path> s = Files.list(plots)) {
            assertEquals(List.of(plots.resolve("loss.png")), s.toList());
        }
    }

    private static void assertPngs(Path plots) throws IOException {
        try (Stream<Path> s = Files.list(plots)) {
            assertEquals(List.of("loss.png", "lr.png", "top1.png"), s.map(p -> p.getFileName().toString()).sorted()
                    .toList(), "the three charts and no temporary file");
        }
        for (String name : RunPlots.FILES) {
            BufferedImage png = ImageIO.read(plots.resolve(name).toFile());
            assertTrue(png != null && png.getWidth() == 800 && png.getHeight() == 500, name);
        }
    }
}
