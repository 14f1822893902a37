package mobilevit.model;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import org.junit.jupiter.api.Assumptions;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The MobileViT-XXS fixture weights as real {@code torch.save} files ({@code xx_small_hf.bin},
 * {@code xx_small_cvnets.pt}), made by PyTorch with {@code torch-fixtures/make_torch_fixtures.py
 * --xxs-weights} into {@code target/torch-xxs} the first time a test asks (10 MB that the repository
 * does not keep). Without a python3 that imports torch the asking test is skipped, and fails where
 * MOBILEVIT_REQUIRE_TORCH=1 (.ci/run).
 */
public final class TorchXxsWeights {

    private TorchXxsWeights() {}

    public static synchronized Path file(String name) {
        Path dir = Path.of(System.getProperty("torch.xxs.dir", "../target/torch-xxs"));
        Path file = dir.resolve(name);
        if (!Files.isRegularFile(file)) {
            make(dir);
        }
        assertTrue(Files.isRegularFile(file), "make_torch_fixtures.py --xxs-weights wrote no " + file);
        return file;
    }

    private static void make(Path dir) {
        Path script = Path.of(System.getProperty("torch.fixtures.dir", "../torch-fixtures"), "make_torch_fixtures.py");
        for (String python : List.of("python3", "/usr/bin/python3")) {
            try {
                Process p = new ProcessBuilder(python, script.toString(), "--xxs-weights", dir.toString())
                        .redirectErrorStream(true).start();
                String out = new String(p.getInputStream().readAllBytes());
                if (p.waitFor(5, TimeUnit.MINUTES) && p.exitValue() == 0) {
                    return;
                }
                if (!out.contains("No module named")) {
                    fail(python + " " + script + " --xxs-weights " + dir + " failed: " + out);
                }
            } catch (IOException e) {
                // no such python: try the next
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                fail("interrupted while making the torch.save weights");
            }
        }
        if ("1".equals(System.getenv("MOBILEVIT_REQUIRE_TORCH"))) {
            fail("no python3 imports torch and numpy to make the torch.save weights (apt-get install python3-torch)");
        }
        Assumptions.abort("no python3 with torch to make the torch.save XXS weights (apt-get install python3-torch)");
    }
}
