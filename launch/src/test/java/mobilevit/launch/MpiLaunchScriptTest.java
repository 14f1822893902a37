package mobilevit.launch;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * launch/mobilevit under an MPI launch and without one: a stand-in {@code java} prints the
 * arguments the script hands it, so no JVM starts.
 */
class MpiLaunchScriptTest {

    private static final String MPI_FLAG = "-Dmobilevit.mpi=true";

    @TempDir
    Path tmp;

    private Scripts.Result launch(Map<String, String> launchEnv, boolean jarPresent) throws IOException {
        Path javaHome = tmp.resolve("jdk");
        Scripts.executable(javaHome.resolve("bin/java"), "#!/usr/bin/env bash\nprintf '%s\\n' \"$@\"\n");
        Path jar = tmp.resolve("mobilevit.jar");
        if (jarPresent) {
            Scripts.write(jar, "stand-in");
        }
        Map<String, String> env = new HashMap<>();
        for (String k : List.of("OMPI_COMM_WORLD_SIZE", "OMPI_COMM_WORLD_RANK", "PMIX_RANK", "PMI_RANK",
                "SLURM_STEP_ID", "SLURM_STEP_NUM_TASKS", "SLURM_NTASKS", "SLURM_PROCID", "MOBILEVIT_JAVA_OPTS")) {
            env.put(k, null);
        }
        env.put("JAVA_HOME", javaHome.toString());
        env.put("MOBILEVIT_JAR", jar.toString());
        env.putAll(launchEnv);
        return Scripts.run(tmp, env, "mobilevit", "train", "--config", "x.yaml");
    }

    private static List<String> args(Scripts.Result r) {
        return List.of(r.out().strip().split("\n"));
    }

    @Test
    void withoutMpiTheJvmGetsTodaysArguments() throws IOException {
        List<String> plain = args(launch(Map.of(), true).expect(0));
        assertFalse(plain.contains(MPI_FLAG), plain::toString);
        assertEquals(List.of("-jar", tmp.resolve("mobilevit.jar").toString(), "train", "--config", "x.yaml"),
                plain.subList(plain.size() - 5, plain.size()));
        // a SLURM job step of one task (a plain command inside sbatch) is no MPI launch either
        assertEquals(plain, args(launch(Map.of("SLURM_STEP_ID", "0", "SLURM_STEP_NUM_TASKS", "1",
                "SLURM_NTASKS", "16", "SLURM_PROCID", "0"), true).expect(0)));
    }

    @Test
    void mpirunPmixAndMultiTaskSrunAreDetected() throws IOException {
        for (Map<String, String> env : List.of(Map.of("OMPI_COMM_WORLD_SIZE", "2", "OMPI_COMM_WORLD_RANK", "1"),
                Map.of("PMIX_RANK", "0"), Map.of("PMI_RANK", "3"),
                Map.of("SLURM_STEP_ID", "0", "SLURM_STEP_NUM_TASKS", "16", "SLURM_PROCID", "5"))) {
            List<String> a = args(launch(env, true).expect(0));
            assertTrue(a.contains(MPI_FLAG), () -> env + ": " + a);
            assertTrue(a.indexOf(MPI_FLAG) < a.indexOf("-jar"), a::toString);
        }
    }

    /** Through a symlink in another folder the script still finds the project (and its allocator.sh). */
    @Test
    void aSymlinkToTheLauncherFindsTheProject() throws IOException {
        Path javaHome = tmp.resolve("jdk");
        Scripts.executable(javaHome.resolve("bin/java"), "#!/usr/bin/env bash\nprintf '%s\\n' \"$@\"\n");
        Path jar = Scripts.write(tmp.resolve("mobilevit.jar"), "stand-in");
        Path link = Files.createSymbolicLink(Files.createDirectories(tmp.resolve("bin")).resolve("mobilevit"),
                Scripts.LAUNCH.resolve("mobilevit"));
        Map<String, String> env = new HashMap<>();
        env.put("JAVA_HOME", javaHome.toString());
        env.put("MOBILEVIT_JAR", jar.toString());
        env.put("OMPI_COMM_WORLD_SIZE", null);
        List<String> a = args(Scripts.runCommand(tmp, env, List.of(link.toString(), "--version")).expect(0));
        assertTrue(a.contains("-Dmobilevit.home=" + Scripts.LAUNCH.getParent().toRealPath()), a::toString);
    }

    @Test
    void underMpiAMissingJarIsRefusedInsteadOfBuiltByEveryRank() throws IOException {
        Scripts.Result r = launch(Map.of("OMPI_COMM_WORLD_SIZE", "2"), false).expect(2);
        Scripts.assertContains(r.oneErrorLine(), "mobilevit.jar is missing; build it once before starting the MPI job");
        assertEquals("", r.out());
    }
}
