package mobilevit.launch;

import static mobilevit.launch.Scripts.assertContains;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The PyTorch baseline of {@code bench train} and gpu-check.sh ({@code launch/torch_step.py}) is
 * MobileViT-XXS as CVNets v0.1 computes it: with the fixture weights its eval logits match the
 * fixture logits. Needs a python3 with torch and numpy (Debian: python3-torch, which .ci/run
 * installs; there MOBILEVIT_REQUIRE_TORCH=1 turns a missing torch into a failure).
 */
@Tag("slow")
class TorchBaselineTest {

    @TempDir
    Path tmp;

    @Test
    void plainPytorchModelGivesTheFixtureLogits() {
        String python = pythonWithTorch(tmp);
        Scripts.Result r = Scripts.runCommand(tmp, Map.of(), List.of(python,
                Scripts.LAUNCH.resolve("torch_step.py").toString(), "--check-logits",
                CommandLineTest.fixture("").toAbsolutePath().toString())).expect(0);
        Matcher m = Pattern.compile("logits_tolerance_ratio=([0-9.]+)").matcher(r.lastOutLine());
        assertTrue(m.find(), r.out());
        assertTrue(Double.parseDouble(m.group(1)) <= 1, r.out());
        assertEquals(4, r.out().lines().filter(l -> l.startsWith("logits b")).count(), r.out());
    }

    @Test
    void oneTrainingStepPrintsItsPhases() {
        String python = pythonWithTorch(tmp);
        Scripts.Result r = Scripts.runCommand(tmp, Map.of(), List.of(python,
                Scripts.LAUNCH.resolve("torch_step.py").toString(), "--batch", "2", "--size", "64", "--threads", "1",
                "--warmup", "1", "--steps", "1")).expect(0);
        for (String key : List.of("torch_step_ms=", "torch_fwd_bwd_ms=", "torch_adamw_ms=", "torch_ema_ms=",
                "torch_train_img_s=")) {
            assertContains(r.lastOutLine(), key);
        }
    }

    /** python3 on the PATH or Debian's, whichever imports torch. */
    static String pythonWithTorch(Path workDir) {
        for (String python : List.of("python3", "/usr/bin/python3")) {
            if (python.startsWith("/") ? Path.of(python).toFile().canExecute() : Scripts.onPath(python)) {
                Scripts.Result r = Scripts.runCommand(workDir, Map.of(), List.of(python, "-c", "import torch, numpy"));
                if (r.code() == 0) {
                    return python;
                }
            }
        }
        boolean required = "1".equals(System.getenv("MOBILEVIT_REQUIRE_TORCH"));
        assertTrue(!required, "no python3 imports torch and numpy (apt-get install python3-torch python3-numpy)");
        Assumptions.abort("no python3 with torch and numpy (apt-get install python3-torch python3-numpy)");
        return null;
    }
}
