package mobilevit.launch;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/** Runs the bash scripts in launch/ as processes, for the tests of the GPU tooling. */
final class Scripts {

    /** The launch/ folder: the module's base directory when Maven runs the tests. */
    static final Path LAUNCH = locate();

    private Scripts() {}

    private static Path locate() {
        Path here = Path.of("").toAbsolutePath();
        for (Path p : List.of(here, here.resolve("launch"))) {
            if (Files.isRegularFile(p.resolve("build-jni.sh"))) {
                return p;
            }
        }
        throw new IllegalStateException("launch/build-jni.sh not found from " + here);
    }

    /** What a script did: its exit code and its two output streams. */
    record Result(int code, String out, String err, long millis) {

        List<String> errLines() {
            return err.isBlank() ? List.of() : List.of(err.strip().split("\n"));
        }

        /** The script's own error line: exactly one line on stderr that starts with "error: ". */
        String oneErrorLine() {
            List<String> lines = errLines().stream().filter(l -> l.startsWith("error: ")).toList();
            assertEquals(1, lines.size(), () -> "expected one error line, stderr was:\n" + err);
            return lines.get(0);
        }

        String lastOutLine() {
            String[] lines = out.strip().split("\n");
            return lines[lines.length - 1];
        }

        Result expect(int expected) {
            assertEquals(expected, code, () -> "exit code; stdout:\n" + out + "\nstderr:\n" + err);
            return this;
        }
    }

    /** Runs {@code bash launch/<script> args...} with extra environment (a null value unsets). */
    static Result run(Path workDir, Map<String, String> env, String script, String... args) {
        List<String> command = new ArrayList<>(List.of("bash", LAUNCH.resolve(script).toString()));
        command.addAll(Arrays.asList(args));
        return runCommand(workDir, env, command);
    }

    /** Runs a command with extra environment (a null value unsets a variable). */
    static Result runCommand(Path workDir, Map<String, String> env, List<String> command) {
        ProcessBuilder pb = new ProcessBuilder(command).directory(workDir.toFile());
        env.forEach((k, v) -> {
            if (v == null) {
                pb.environment().remove(k);
            } else {
                pb.environment().put(k, v);
            }
        });
        try {
            Path out = Files.createTempFile(workDir, "out", ".txt");
            Path err = Files.createTempFile(workDir, "err", ".txt");
            pb.redirectOutput(out.toFile()).redirectError(err.toFile());
            long start = System.nanoTime();
            Process p = pb.start();
            if (!p.waitFor(120, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                fail(command + " did not finish in 120 s");
            }
            long millis = (System.nanoTime() - start) / 1_000_000;
            return new Result(p.exitValue(), Files.readString(out), Files.readString(err), millis);
        } catch (IOException e) {
            throw new AssertionError(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    static Path write(Path file, String text) throws IOException {
        Files.createDirectories(file.getParent());
        return Files.writeString(file, text, StandardCharsets.UTF_8);
    }

    static Path executable(Path file, String text) throws IOException {
        write(file, text);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwxr-xr-x"));
        return file;
    }

    /** Whether a command is on this machine's PATH. */
    static boolean onPath(String command) {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, command))) {
                return true;
            }
        }
        return false;
    }

    static void assertContains(String text, String part) {
        assertTrue(text.contains(part), () -> "expected '" + part + "' in:\n" + text);
    }

    /** DJL's name for this machine's architecture in its cache folders. */
    static String classifier() {
        String arch = System.getProperty("os.arch");
        return "linux-" + ("amd64".equals(arch) || "x86_64".equals(arch) ? "x86_64" : arch);
    }
}
