package mobilevit.export;

import static mobilevit.model.TensorAssert.fixture;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import ai.djl.ndarray.NDManager;

import mobilevit.model.MobileViT;
import mobilevit.model.Variant;
import mobilevit.model.WeightsFile;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The ONNX project's own checker ({@code onnx.checker.check_model(full_check=True)}: the schema of
 * every node, its attributes and inferred shapes) on an exported file, through Debian's
 * python3-onnx. Skipped without it; MOBILEVIT_REQUIRE_ONNX=1 (.ci/run, which installs it) makes
 * that a failure.
 */
class OnnxCheckerTest {

    private static final String CHECK = String.join("\n",
            "import sys, onnx",
            "m = onnx.load(sys.argv[1])",
            "onnx.checker.check_model(m, full_check=True)",
            "print('opset', m.opset_import[0].version, 'ir', m.ir_version)");

    @TempDir
    Path dir;

    /** 200: the MobileViT blocks' resize to whole patches and back is in the graph too; free: every block's. */
    @ParameterizedTest
    @ValueSource(strings = {"200", "free"})
    void exportedFilePassesTheFullCheck(String size) throws IOException, InterruptedException {
        Path file = dir.resolve("xxs.onnx");
        Path weights = fixture("weights/xx_small_cvnets.safetensors");
        try (NDManager manager = NDManager.newBaseManager()) {
            MobileViT model = WeightsFile.loadModel(weights, Variant.XXS, 1000, manager);
            InputSize inputSize = size.equals("free") ? InputSize.FREE : InputSize.fixed(200, 200);
            OnnxExport.write(model, inputSize, ExportMetadata.of(Variant.XXS, 1000, 288, 256, weights), file);
        }
        String out = null;
        for (String python : List.of("python3", "/usr/bin/python3")) {
            out = run(python, file);
            if (out != null) {
                break;
            }
        }
        if (out == null) {
            if ("1".equals(System.getenv("MOBILEVIT_REQUIRE_ONNX"))) {
                fail("no python3 imports onnx (apt-get install python3-onnx)");
            }
            Assumptions.abort("no python3 with the onnx package (apt-get install python3-onnx)");
        }
        assertEquals("opset 17 ir 8", out.strip());
    }

    /** The checker's output, or null when this python lacks the onnx package (or is missing). */
    private static String run(String python, Path file) throws IOException, InterruptedException {
        Process p;
        try {
            p = new ProcessBuilder(python, "-c", CHECK, file.toString()).redirectErrorStream(true).start();
        } catch (IOException e) {
            return null; // no such python
        }
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(2, TimeUnit.MINUTES)) {
            p.destroyForcibly();
            fail(python + ": the ONNX checker did not finish in 2 minutes");
        }
        if (p.exitValue() != 0) {
            if (out.contains("No module named 'onnx'")) {
                return null;
            }
            fail("onnx.checker.check_model refused " + file + ":\n" + out);
        }
        return out;
    }
}
