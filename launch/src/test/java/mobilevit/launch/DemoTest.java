package mobilevit.launch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import javax.imageio.ImageIO;

/**
 * The README's first command as shipped: data generation, training of MobileViT-XXS on the CPU
 * with an interruption and a resume, evaluation and plots. It must learn the generated classes
 * (top-1 far above the 10% of chance) and its evaluation must equal the trainer's last validation.
 */
@Tag("slow")
class DemoTest {

    @TempDir
    Path out;

    @Test
    void demoTrainsResumesEvaluatesAndPlots() throws Exception {
        Cli.Result r = Cli.run("demo", "--output", out.toString());
        assertEquals(0, r.exitCode(), r.err());
        assertTrue(r.out().contains("interrupted after step"), r.out());
        assertTrue(r.err().contains("resuming from"), "the second run resumed from the checkpoint");
        assertTrue(r.out().contains("(equal)"), "eval of the checkpoint equals the trainer's numbers: " + r.out());

        List<String> rows = Files.readAllLines(out.resolve("run/metrics.csv"));
        assertEquals(9, rows.size(), "header and 8 epochs");
        String[] last = rows.get(8).split(",");
        double top1 = Double.parseDouble(last[5]);
        double emaTop1 = Double.parseDouble(last[7]);
        assertTrue(top1 >= 80 && emaTop1 >= 80, "validation top-1 raw " + top1 + ", EMA " + emaTop1);

        for (String name : List.of("loss", "lr", "top1")) {
            BufferedImage png = ImageIO.read(out.resolve("plots/" + name + ".png").toFile());
            assertEquals(800, png.getWidth());
            assertTrue(colours(png) > 20, name + ".png shows a chart, not a blank picture");
        }
        assertTrue(Files.readString(out.resolve("summary.txt")).contains("final: top-1"));
    }

    /**
     * The demo config with {@code train.precision=fp16}, as issue #12 asks: float16 compute with
     * loss scaling must learn the generated classes as fp32 does (98.5% raw, 99.0% EMA top-1 when
     * this was written; fp32 99.0%). On the CPU the float16 convolutions run on float32 kernels
     * ({@code Float16ConvolutionTest}), so this takes about as long as the fp32 demo.
     */
    @Test
    void demoInFloat16ReachesNinetyFivePercent(@TempDir Path out16) throws Exception {
        Cli.Result r = Cli.run("demo", "--output", out16.toString(), "--set", "train.precision=fp16");
        assertEquals(0, r.exitCode(), r.err());
        assertTrue(r.err().contains("loss scale"), "the log shows the loss scale");
        List<String> rows = Files.readAllLines(out16.resolve("run/metrics.csv"));
        assertEquals(9, rows.size(), "header and 8 epochs");
        double top1 = Double.parseDouble(rows.get(8).split(",")[5]);
        assertTrue(top1 >= 95, "fp16 validation top-1 " + top1);
        assertTrue(Files.readString(out16.resolve("run/config.yaml")).contains("precision: fp16"));
    }

    private static int colours(BufferedImage image) {
        Set<Integer> seen = new HashSet<>();
        for (int y = 0; y < image.getHeight(); y += 3) {
            for (int x = 0; x < image.getWidth(); x += 3) {
                seen.add(image.getRGB(x, y));
            }
        }
        return seen.size();
    }
}
