package mobilevit.launch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * {@code bench infer} at tiny repetition counts: one table row per runtime and thread count, and a
 * last line of name=value pairs with every figure and the ratios to libtorch (no timing asserts).
 */
class BenchInferTest {

    @Test
    void printsARowPerRuntimeAndThreadCountAndTheRatiosLast() {
        Cli.Result r = Cli.run("bench", "infer", "--size", "64", "--batch", "2", "--threads", "1,2", "--rounds", "1",
                "--latency-runs", "2", "--throughput-runs", "1", "--warmup", "1", "--torch", "off");
        assertEquals(0, r.exitCode(), r.err());
        List<String> lines = r.out().strip().lines().toList();
        assertTrue(lines.contains("PyTorch eager skipped: off"), r.out());
        for (String row : List.of("libtorch        1 ", "ort             1 ", "libtorch        2 ", "ort             2 ")) {
            assertEquals(1, lines.stream().filter(l -> l.startsWith(row)).count(), row + " in\n" + r.out());
        }
        Map<String, String> last = Arrays.stream(lines.get(lines.size() - 1).split(" ")).map(p -> p.split("=", 2))
                .collect(Collectors.toMap(kv -> kv[0], kv -> kv[1], (a, b) -> b, LinkedHashMap::new));
        for (String runtime : List.of("libtorch", "ort")) {
            for (int t = 1; t <= 2; t++) {
                for (String key : List.of(runtime + "_b1_t" + t + "_median_ms", runtime + "_b1_t" + t + "_p90_ms",
                        runtime + "_b2_t" + t + "_img_s")) {
                    assertTrue(Double.parseDouble(last.get(key)) > 0, key + " in " + last);
                }
            }
        }
        for (String ratio : List.of("ort_vs_libtorch_b1_t1", "ort_vs_libtorch_b2_t1", "ort_vs_libtorch_b1_t2",
                "ort_vs_libtorch_b2_t2")) {
            assertTrue(Double.parseDouble(last.get(ratio)) > 0, ratio + " in " + last);
        }
        assertEquals("NA", last.get("torch"));
        assertEquals("off", last.get("reason"));
        assertEquals(12 + 4 + 2, last.size(), last.toString());
    }

    /** PyTorch eager joins with its own row and ratios where a python3 has torch (.ci/run installs it). */
    @Test
    void pyTorchEagerGetsItsRowAndRatios(@TempDir Path tmp) {
        String python = TorchBaselineTest.pythonWithTorch(tmp);
        Cli.Result r = Cli.run("bench", "infer", "--size", "64", "--batch", "2", "--threads", "1", "--rounds", "1",
                "--latency-runs", "2", "--throughput-runs", "1", "--warmup", "1", "--torch", python);
        assertEquals(0, r.exitCode(), r.err());
        List<String> lines = r.out().strip().lines().toList();
        assertEquals(1, lines.stream().filter(l -> l.startsWith("torch           1 ")).count(), r.out());
        String last = lines.get(lines.size() - 1);
        for (String key : List.of("torch_b1_t1_median_ms=", "torch_b2_t1_img_s=", "torch_vs_libtorch_b1_t1=",
                "torch_vs_libtorch_b2_t1=")) {
            assertTrue(last.contains(key), key + " in " + last);
        }
    }

    @Test
    void badRepetitionCountsAreOneLine() {
        Cli.run("bench", "infer", "--latency-runs", "0").failsWithOneLine(2, "--latency-runs must be positive, got 0");
        Cli.run("bench", "infer", "--threads", "1,0").failsWithOneLine(2, "--threads must be positive, got 0");
        Cli.run("bench", "infer-runtime", "--runtime", "tvm", "--model", "m.onnx", "--variant", "xxs")
                .failsWithOneLine(2, "--runtime must be libtorch or ort, got 'tvm'");
        Cli.run("bench", "infer-runtime", "--runtime", "ort", "--model", "m.onnx", "--variant", "xxs", "--warmup", "-1")
                .failsWithOneLine(2, "--warmup must not be negative, got -1");
    }
}
