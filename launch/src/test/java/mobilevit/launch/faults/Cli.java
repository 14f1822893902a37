package mobilevit.launch.faults;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * The {@code mobilevit} command line as a separate JVM ({@code java -cp <test classpath>
 * mobilevit.launch.Main ...}), its stdout and stderr read line by line as they come, each line
 * stamped with the time it was read.
 */
final class Cli {

    /** A line of output and when it was read ({@link System#nanoTime()}). */
    record Line(String text, long nanos) {}

    private final Path workDir;
    private final Map<String, String> environment;

    /**
     * @param workDir the children's working folder
     * @param cacheHome {@code XDG_CACHE_HOME} of the children (the image folder index cache)
     */
    Cli(Path workDir, Path cacheHome) {
        this.workDir = workDir;
        this.environment = Map.of("XDG_CACHE_HOME", cacheHome.toString(), "DJL_OFFLINE", "true");
    }

    private static String javaBinary() {
        return ProcessHandle.current().info().command()
                .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    }

    private static String classPath() {
        String cp = System.getProperty("java.class.path");
        if (!cp.contains("classes")) {
            // surefire's manifest-only jar: the real test class path is kept here
            cp = System.getProperty("surefire.test.class.path", cp);
        }
        return cp;
    }

    /** Starts {@code mobilevit <args>}. */
    Child start(String... args) {
        return startWithHeap("1g", args);
    }

    /** Starts {@code mobilevit <args>} in a JVM whose heap is at most {@code maxHeap} (-Xmx). */
    Child startWithHeap(String maxHeap, String... args) {
        List<String> command = new ArrayList<>(List.of(javaBinary(), "-cp", classPath(), "-Xmx" + maxHeap,
                "-XX:+UseSerialGC", "-Dai.djl.offline=true", "-Dai.djl.pytorch.num_threads=1",
                "-Dai.djl.pytorch.num_interop_threads=1", "mobilevit.launch.Main"));
        command.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(command).directory(workDir.toFile());
        pb.environment().putAll(environment);
        // these would make the JVM print a "Picked up ..." line of its own on stderr
        pb.environment().keySet().removeAll(List.of("JAVA_TOOL_OPTIONS", "_JAVA_OPTIONS", "JDK_JAVA_OPTIONS"));
        try {
            return new Child(pb.start(), String.join(" ", args));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Runs {@code mobilevit <args>} to its end (at most {@code timeoutSeconds}). */
    Result run(long timeoutSeconds, String... args) {
        Child c = start(args);
        return c.awaitExit(timeoutSeconds);
    }

    /** A finished command. */
    record Result(String command, int exitCode, List<Line> stdout, List<Line> stderr) {

        List<String> stderrLines() {
            return stderr.stream().map(Line::text).filter(s -> !s.isBlank()).toList();
        }

        String stdoutText() {
            return String.join("\n", stdout.stream().map(Line::text).toList());
        }

        String stderrText() {
            return String.join("\n", stderrLines());
        }

        /** The lines that start with {@code error:}. */
        List<String> errorLines() {
            return stderrLines().stream().filter(s -> s.startsWith("error:")).toList();
        }

        /** For assertion messages: the command, its exit code and the end of its stderr. */
        String describe() {
            List<String> err = stderrLines();
            return "`mobilevit " + command + "` exited " + exitCode + "; stderr (last lines):\n  "
                    + String.join("\n  ", err.subList(Math.max(0, err.size() - 25), err.size()));
        }
    }

    /** A running command. */
    static final class Child {
        private final Process process;
        private final String command;
        private final List<Line> stdout = new ArrayList<>();
        private final List<Line> stderr = new ArrayList<>();
        private final Thread outReader;
        private final Thread errReader;

        Child(Process process, String command) {
            this.process = process;
            this.command = command;
            try {
                process.getOutputStream().close(); // nothing is typed in
            } catch (IOException ignored) {
                // already closed
            }
            outReader = reader(process.getInputStream(), stdout, "stdout");
            errReader = reader(process.getErrorStream(), stderr, "stderr");
        }

        private Thread reader(InputStream in, List<Line> into, String name) {
            Thread t = new Thread(() -> {
                try (BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
                    for (String line; (line = r.readLine()) != null; ) {
                        Line l = new Line(line, System.nanoTime());
                        synchronized (into) {
                            into.add(l);
                        }
                    }
                } catch (IOException ignored) {
                    // the process is gone
                }
            }, "cli-" + name);
            t.setDaemon(true);
            t.start();
            return t;
        }

        long pid() {
            return process.pid();
        }

        boolean isAlive() {
            return process.isAlive();
        }

        /** The stderr lines read so far. */
        List<Line> stderrSoFar() {
            synchronized (stderr) {
                return new ArrayList<>(stderr);
            }
        }

        /** The first stderr line (read so far) that matches, or null. */
        Line findStderr(Predicate<String> p) {
            for (Line l : stderrSoFar()) {
                if (p.test(l.text())) {
                    return l;
                }
            }
            return null;
        }

        /**
         * Waits (polling every millisecond) for the first stderr line that matches; null when the
         * process ended or {@code timeoutSeconds} passed without one.
         */
        Line awaitStderr(Predicate<String> p, long timeoutSeconds) throws InterruptedException {
            long deadline = System.nanoTime() + timeoutSeconds * 1_000_000_000L;
            Line found = findStderr(p);
            while (found == null && isAlive() && System.nanoTime() < deadline) {
                Thread.sleep(1);
                found = findStderr(p);
            }
            return found;
        }

        /**
         * SIGKILL. Sent through the process handle: {@link Process#destroyForcibly()} would also
         * close our ends of the pipes and lose the lines the process wrote last.
         */
        void kill() {
            process.toHandle().destroyForcibly();
        }

        /** SIGTERM (through the handle, so that what the process prints while it stops is read). */
        void terminate() {
            process.toHandle().destroy();
        }

        /** Sends {@code kill -NAME}: STOP holds the process still (its locks too), CONT lets it go on. */
        void signal(String name) {
            try {
                Process kill = new ProcessBuilder("kill", "-" + name, Long.toString(pid())).redirectErrorStream(true)
                        .start();
                String out = new String(kill.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                if (kill.waitFor() != 0) {
                    throw new AssertionError("kill -" + name + " " + pid() + " failed: " + out);
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted", e);
            }
        }

        /** Waits for the end (killing the process after {@code timeoutSeconds}) and collects its output. */
        Result awaitExit(long timeoutSeconds) {
            try {
                if (!process.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                    process.destroyForcibly();
                    process.waitFor();
                    outReader.join(10_000);
                    errReader.join(10_000);
                    throw new AssertionError("`mobilevit " + command + "` did not finish within " + timeoutSeconds
                            + " s; stderr:\n" + String.join("\n", stderrSoFar().stream().map(Line::text).toList()));
                }
                outReader.join(30_000);
                errReader.join(30_000);
            } catch (InterruptedException e) {
                process.destroyForcibly();
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted", e);
            }
            synchronized (stdout) {
                synchronized (stderr) {
                    return new Result(command, process.exitValue(), List.copyOf(stdout), List.copyOf(stderr));
                }
            }
        }
    }
}
