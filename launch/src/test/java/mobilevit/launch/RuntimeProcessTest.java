package mobilevit.launch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * A benchmark's other runtimes run in their own best configuration, not ours: a stand-in "python"
 * records the environment and arguments it is started with and answers figures that depend on its
 * allocator, so the test sees which allocator the probe keeps for each figure.
 */
class RuntimeProcessTest {

    private static final RuntimeProcess.Figure LATENCY = new RuntimeProcess.Figure("torch_b1_median_ms",
            RuntimeProcess.Better.LOWER);
    private static final RuntimeProcess.Figure THROUGHPUT = new RuntimeProcess.Figure("torch_b32_img_s",
            RuntimeProcess.Better.HIGHER);

    @TempDir
    Path tmp;

    /**
     * A python stand-in: batch-1 latency {@code glibcMs} and throughput {@code glibcImgS} under
     * glibc, {@code jemallocMs} and {@code jemallocImgS} under jemalloc.
     */
    private Path fakePython(int glibcMs, int jemallocMs, int glibcImgS, int jemallocImgS) throws IOException {
        Path fake = tmp.resolve("python-" + glibcMs + "-" + jemallocMs + "-" + glibcImgS + "-" + jemallocImgS);
        Files.writeString(fake, "#!/bin/bash\n"
                + "{ echo \"args=$*\"; echo \"LD_PRELOAD=${LD_PRELOAD-unset}\"; echo \"MALLOC_CONF=${MALLOC_CONF-unset}\";"
                + " echo \"OPENBLAS_NUM_THREADS=${OPENBLAS_NUM_THREADS-unset}\";"
                + " echo \"OMP_WAIT_POLICY=${OMP_WAIT_POLICY-unset}\"; } > \"" + tmp.resolve("env.txt") + "\"\n"
                + "ms=" + glibcMs + "; img=" + glibcImgS + "\n"
                + "[[ ${LD_PRELOAD-} == *jemalloc* ]] && { ms=" + jemallocMs + "; img=" + jemallocImgS + "; }\n"
                + "echo \"torch_b1_median_ms=$ms torch_b1_p90_ms=$ms torch_b32_img_s=$img\"\n");
        Files.setPosixFilePermissions(fake, PosixFilePermissions.fromString("rwx------"));
        return fake;
    }

    private RuntimeProcess.Probe probe(Path python) throws IOException {
        Path script = Files.writeString(tmp.resolve("torch_step.py"), "# stand-in\n");
        return RuntimeProcess.probeTorch(python.toString(), script, List.of("--infer", "--variant", "xxs"),
                LATENCY.key(), 2, 3, new StringBuilder()).orElseThrow();
    }

    private Map<String, String> recordedEnvironment() throws IOException {
        return Files.readAllLines(tmp.resolve("env.txt")).stream().map(l -> l.split("=", 2))
                .collect(Collectors.toMap(kv -> kv[0], kv -> kv[1]));
    }

    @Test
    void keepsTheBetterAllocatorForEachFigureAndNeverPassesOnOurs() throws IOException {
        boolean jemalloc = RuntimeProcess.Allocator.jemalloc().isPresent();
        String jemallocName = "jemalloc(dirty_decay_ms:-1,muzzy_decay_ms:-1)";
        // glibc the faster at batch 1, jemalloc at batch 32
        RuntimeProcess.Probe split = probe(fakePython(10, 20, 5, 50));
        RuntimeProcess latency = split.fastestFor(LATENCY);
        RuntimeProcess throughput = split.fastestFor(THROUGHPUT);
        assertEquals("glibc", latency.allocator().name());
        assertEquals(jemalloc ? jemallocName : "glibc", throughput.allocator().name());
        assertEquals("torch_allocator=glibc torch_openblas_threads=1 torch_threads=2",
                latency.configurationPairs("torch"));
        assertTrue(latency.configuration().startsWith("allocator glibc (the better in this run's probe: glibc"
                + " torch_b1_median_ms=10.00" + (jemalloc ? ", " + jemallocName + " torch_b1_median_ms=20.00" : "")
                + "), OPENBLAS_NUM_THREADS=1, OMP_WAIT_POLICY unset, 2 intra-op thread(s)"), latency.configuration());

        assertEquals("10", latency.run(0, 1).orElseThrow().get("torch_b1_median_ms"));
        Map<String, String> env = recordedEnvironment();
        assertEquals("1", env.get("OPENBLAS_NUM_THREADS"));
        assertEquals("unset", env.get("LD_PRELOAD"), "our LD_PRELOAD is not passed on");
        assertEquals("unset", env.get("MALLOC_CONF"), "our MALLOC_CONF is not passed on");
        assertEquals("unset", env.get("OMP_WAIT_POLICY"), "our OMP_WAIT_POLICY is not passed on");
        assertTrue(env.get("args").endsWith("--infer --variant xxs --threads 2 --warmup 0 --steps 1"), env.get("args"));

        if (jemalloc) {
            assertEquals("50", throughput.run(0, 1).orElseThrow().get("torch_b32_img_s"));
            env = recordedEnvironment();
            assertEquals(RuntimeProcess.Allocator.jemalloc().orElseThrow().toString(), env.get("LD_PRELOAD"));
            assertEquals("dirty_decay_ms:-1,muzzy_decay_ms:-1", env.get("MALLOC_CONF"));
            // jemalloc the faster at both: one allocator for both figures
            RuntimeProcess.Probe both = probe(fakePython(20, 10, 5, 50));
            assertEquals(jemallocName, both.fastestFor(LATENCY).allocator().name());
            assertEquals(jemallocName, both.fastestFor(THROUGHPUT).allocator().name());
        }
    }

    @Test
    void saysWhyThereIsNoBaseline() throws IOException {
        Path broken = tmp.resolve("python-broken");
        Files.writeString(broken, "#!/bin/bash\necho 'skip: torch is not importable'\necho 'torch_train_img_s=NA'\n");
        Files.setPosixFilePermissions(broken, PosixFilePermissions.fromString("rwx------"));
        Path script = Files.writeString(tmp.resolve("torch_step.py"), "# stand-in\n");
        StringBuilder whyNot = new StringBuilder();
        assertFalse(RuntimeProcess.probeTorch(broken.toString(), script, List.of(), LATENCY.key(), 1, 1, whyNot)
                .isPresent());
        assertEquals("no_python3_with_torch", whyNot.toString());

        Path crashing = tmp.resolve("python-crashing");
        Files.writeString(crashing, "#!/bin/bash\necho 'loading'\necho 'Illegal instruction'\nexit 132\n");
        Files.setPosixFilePermissions(crashing, PosixFilePermissions.fromString("rwx------"));
        PrintStream err = System.err;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            assertFalse(RuntimeProcess.probeTorch(crashing.toString(), script, List.of(), LATENCY.key(), 1, 1,
                    new StringBuilder()).isPresent());
        } finally {
            System.setErr(err);
        }
        assertTrue(captured.toString(StandardCharsets.UTF_8).startsWith("the torch timing process under glibc failed"
                + " (exit code 132); its last line: Illegal instruction"), captured.toString(StandardCharsets.UTF_8));

        StringBuilder noScript = new StringBuilder();
        assertFalse(RuntimeProcess.probeTorch(broken.toString(), tmp.resolve("missing.py"), List.of(), LATENCY.key(), 1,
                1, noScript).isPresent());
        assertEquals("no_" + tmp.resolve("missing.py"), noScript.toString());
    }
}
