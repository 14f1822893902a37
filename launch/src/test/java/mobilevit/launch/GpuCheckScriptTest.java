package mobilevit.launch;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static mobilevit.launch.Scripts.assertContains;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * launch/gpu-check.sh on a machine without a GPU: its argument errors, its one-line refusal when
 * there is no GPU (real, or as a stand-in nvidia-smi reports it), and its stage bookkeeping with
 * stand-ins for launch/mobilevit and python3: stages that fail are reported and the others still
 * run, the last line carries the numbers and their ratio.
 */
class GpuCheckScriptTest {

    private static final String SCRIPT = "gpu-check.sh";

    @TempDir
    Path tmp;

    private Scripts.Result run(Map<String, String> env, String... args) {
        return Scripts.run(tmp, env, SCRIPT, args);
    }

    @Test
    void helpListsTheStages() {
        Scripts.Result r = run(Map.of(), "--help").expect(0);
        assertContains(r.out(), "Usage: launch/gpu-check.sh");
        assertContains(r.out(), "build,logits,train,bench-train,anchor,bench-model");
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "unknown|--frobnicate|unknown argument: --frobnicate",
        "device|--device tpu0|--device must be gpuN or cpu",
        "batch|--batch 0|--batch must be a positive integer",
        "time limit|--time-limit soon|--time-limit must be a positive integer",
        "stage|--stages build,paint|--stages: unknown stage 'paint'",
        "value missing|--jar|--jar needs a value",
        "cmake-arg missing|--cmake-arg|--cmake-arg needs a value",
        "java|--java /nonexistent/jre|--java /nonexistent/jre has no bin/java",
        "jar|--jar /nonexistent/m.jar|--jar /nonexistent/m.jar does not exist",
        "bundle|--bundle /nonexistent/b.tar.xz|--bundle /nonexistent/b.tar.xz does not exist",
    })
    void badArgumentsExitTwoWithOneLine(String name, String args, String message) {
        Scripts.Result r = run(Map.of(), args.split(" ")).expect(2);
        assertContains(r.oneErrorLine(), message);
    }

    @Test
    void withoutAGpuItSaysSoInOneLine() {
        Assumptions.assumeFalse(Scripts.onPath("nvidia-smi"), "this machine has nvidia-smi");
        Scripts.Result r = run(Map.of()).expect(3);
        assertContains(r.oneErrorLine(), "no GPU here: nvidia-smi is not installed");
        assertEquals(1, r.errLines().size());
    }

    /** PATH with a stand-in nvidia-smi first. */
    private Map<String, String> fakeNvidiaSmi(String listing) throws IOException {
        Path bin = tmp.resolve("fake-bin");
        Scripts.executable(bin.resolve("nvidia-smi"), "#!/usr/bin/env bash\n"
                + "if [[ $1 == -L ]]; then printf '%s' '" + listing + "'; else echo 'Test GPU'; fi\n");
        return Map.of("PATH", bin + ":" + System.getenv("PATH"));
    }

    @Test
    void aGpuThatIsNotThere() throws IOException {
        assertContains(run(fakeNvidiaSmi("No devices were found\n")).expect(3).oneErrorLine(),
                "no GPU here: nvidia-smi lists none");
        assertContains(run(fakeNvidiaSmi("GPU 0: Test GPU (UUID: GPU-0)\n"), "--device", "gpu3")
                .expect(3).oneErrorLine(), "no gpu3 here: nvidia-smi lists 1 GPU(s)");
    }

    /**
     * Stand-ins: launch/mobilevit prints what each command prints (bench model fails), python3 is
     * the PyTorch anchor; a JNI environment file skips the build.
     */
    private Map<String, String> standIns() throws IOException {
        Path bin = tmp.resolve("stand-in");
        Scripts.executable(bin.resolve("mobilevit"), """
                #!/usr/bin/env bash
                case "$1 $2" in
                  "bench train") echo "MobileViT-XXS: 42 images/s"; echo "train_img_s=90.00 rss_mb_50=1.0";;
                  "bench model") echo "out of memory" >&2; exit 1;;
                  *) exit 1;;
                esac
                """);
        Scripts.executable(bin.resolve("python3"), """
                #!/usr/bin/env bash
                echo "anchor: $*"
                echo "torch_train_img_s=120.00 torch_step_ms=1.0 model=timm:mobilevit_xxs"
                """);
        Map<String, String> env = new HashMap<>();
        env.put("PATH", bin + ":" + System.getenv("PATH"));
        env.put("MOBILEVIT_LAUNCHER", bin.resolve("mobilevit").toString());
        return env;
    }

    private Path jniEnv() throws IOException {
        return Scripts.write(tmp.resolve("jni.env"),
                "# libdjl_torch.so: /x\nexport PYTORCH_LIBRARY_PATH=/x/lib PYTORCH_VERSION=2.11.0 PYTORCH_FLAVOR=cpu\n");
    }

    @Test
    void failingStageIsReportedAndTheOthersStillRun() throws IOException {
        Path jar = Scripts.write(tmp.resolve("m.jar"), "");
        Scripts.Result r = run(standIns(), "--device", "cpu", "--jar", jar.toString(), "--jni-env",
                jniEnv().toString(), "--stages", "bench-train,anchor,bench-model", "--out",
                tmp.resolve("out").toString()).expect(1);
        assertContains(r.out(), "bench-train  ok");
        assertContains(r.out(), "anchor       ok");
        assertContains(r.out(), "bench-model  FAILED");
        assertContains(r.out(), "logits       not run");
        String last = r.lastOutLine();
        assertContains(last, "ours_train_img_s=90.00 torch_train_img_s=120.00 ratio=0.750 ");
        assertContains(last, "logits_ok=NA train_step_ok=NA jni_ok=true");
        assertContains(last, "all_ok=false");
        assertTrue(last.matches("([a-z_0-9]+=\\S+ ?)+"), last);
    }

    @Test
    void stagesLeftWithoutTimeAreSkipped() throws IOException {
        Path jar = Scripts.write(tmp.resolve("m.jar"), "");
        Scripts.Result r = run(standIns(), "--device", "cpu", "--jar", jar.toString(), "--jni-env",
                jniEnv().toString(), "--stages", "bench-train,anchor", "--time-limit", "5").expect(1);
        assertContains(r.out(), "bench-train  skipped");
        assertContains(r.out(), "no time left");
        assertContains(r.lastOutLine(), "ours_train_img_s=NA torch_train_img_s=NA ratio=NA");
    }

    @Test
    void anchorSaysSkipWithoutPytorch() {
        Assumptions.assumeTrue(Scripts.onPath("python3"), "no python3 (apt-get install python3)");
        Scripts.Result r = Scripts.runCommand(tmp, Map.of(), List.of("python3",
                Scripts.LAUNCH.resolve("torch_step.py").toString(), "--device", "cpu", "--batch", "2",
                "--size", "64", "--warmup", "1", "--steps", "1"));
        Assumptions.assumeTrue(r.out().contains("torch_train_img_s=NA"),
                "this python3 has PyTorch");
        assertEquals(0, r.code(), r.err());
        assertContains(r.out(), "skip: ");
        assertContains(r.lastOutLine(), "torch_train_img_s=NA reason=");
    }
}
