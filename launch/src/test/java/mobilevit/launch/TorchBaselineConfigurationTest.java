package mobilevit.launch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * {@code bench train}'s PyTorch baseline runs in its own best configuration, not ours: a stand-in
 * "python" records the environment and arguments it is started with and answers a step time that
 * depends on its allocator, so the test sees which allocator the probe keeps.
 */
class TorchBaselineConfigurationTest {

    @TempDir
    Path tmp;

    /** A python stand-in whose step takes {@code jemallocMs} under jemalloc and {@code glibcMs} otherwise. */
    private Path fakePython(String glibcMs, String jemallocMs) throws IOException {
        Path fake = tmp.resolve("python-" + glibcMs + "-" + jemallocMs);
        Files.writeString(fake, "#!/bin/bash\n"
                + "{ echo \"args=$*\"; echo \"LD_PRELOAD=${LD_PRELOAD-unset}\"; echo \"MALLOC_CONF=${MALLOC_CONF-unset}\";"
                + " echo \"OPENBLAS_NUM_THREADS=${OPENBLAS_NUM_THREADS-unset}\"; } > \"" + tmp.resolve("env.txt") + "\"\n"
                + "ms=" + glibcMs + "; [[ ${LD_PRELOAD-} == *jemalloc* ]] && ms=" + jemallocMs + "\n"
                + "echo \"torch_step_ms=$ms torch_fwd_bwd_ms=1 torch_adamw_ms=1 torch_ema_ms=1 torch_train_img_s=1\"\n");
        Files.setPosixFilePermissions(fake, PosixFilePermissions.fromString("rwx------"));
        return fake;
    }

    private Optional<TorchBaseline> find(Path python, StringBuilder whyNot) throws IOException {
        Path script = Files.writeString(tmp.resolve("torch_step.py"), "# stand-in\n");
        return TorchBaseline.find(List.of(python.toString()), script, List.of("--variant", "xxs"), "torch_step_ms", 2, 3,
                whyNot);
    }

    private Map<String, String> recordedEnvironment() throws IOException {
        return Files.readAllLines(tmp.resolve("env.txt")).stream().map(l -> l.split("=", 2))
                .collect(java.util.stream.Collectors.toMap(kv -> kv[0], kv -> kv[1]));
    }

    @Test
    void keepsTheFasterAllocatorAndNeverPassesOnOurs() throws IOException {
        boolean jemalloc = TorchBaseline.Allocator.jemalloc().isPresent();
        TorchBaseline b = find(fakePython("20", "10"), new StringBuilder()).orElseThrow();
        assertTrue(b.configurationPairs().startsWith("torch_allocator="
                + (jemalloc ? "jemalloc(dirty_decay_ms:-1,muzzy_decay_ms:-1)" : "glibc")
                + " torch_openblas_threads=1 torch_threads=2"), b.configurationPairs());
        assertEquals(jemalloc ? "10" : "20", b.run(0, 1).orElseThrow().get("torch_step_ms"));

        Map<String, String> env = recordedEnvironment();
        assertEquals("1", env.get("OPENBLAS_NUM_THREADS"));
        assertTrue(env.get("args").endsWith("--variant xxs --threads 2 --warmup 0 --steps 1"), env.get("args"));
        if (jemalloc) {
            assertEquals(TorchBaseline.Allocator.jemalloc().orElseThrow().toString(), env.get("LD_PRELOAD"));
            assertEquals("dirty_decay_ms:-1,muzzy_decay_ms:-1", env.get("MALLOC_CONF"));
        }

        TorchBaseline glibc = find(fakePython("10", "20"), new StringBuilder()).orElseThrow();
        assertTrue(glibc.configurationPairs().startsWith("torch_allocator=glibc "), glibc.configurationPairs());
        glibc.run(0, 1).orElseThrow();
        env = recordedEnvironment();
        assertEquals("unset", env.get("LD_PRELOAD"), "our LD_PRELOAD is not passed on");
        assertEquals("unset", env.get("MALLOC_CONF"), "our MALLOC_CONF is not passed on");
        assertTrue(glibc.configuration().contains("OPENBLAS_NUM_THREADS=1, OMP_WAIT_POLICY unset, 2 intra-op thread(s)"), glibc.configuration());
    }

    @Test
    void saysWhyThereIsNoBaseline() throws IOException {
        Path broken = tmp.resolve("python-broken");
        Files.writeString(broken, "#!/bin/bash\necho 'skip: torch is not importable'\necho 'torch_train_img_s=NA'\n");
        Files.setPosixFilePermissions(broken, PosixFilePermissions.fromString("rwx------"));
        StringBuilder whyNot = new StringBuilder();
        assertFalse(find(broken, whyNot).isPresent());
        assertEquals("no_python3_with_torch", whyNot.toString());
    }
}
