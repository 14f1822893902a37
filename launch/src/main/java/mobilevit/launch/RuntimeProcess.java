package mobilevit.launch;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * A benchmarked runtime in a process of its own, in its own best configuration, never ours: the
 * PyTorch eager baseline of {@code bench train} and {@code bench infer} ({@code launch/torch_step.py})
 * and {@code bench infer}'s libtorch and ONNX Runtime ({@code bench infer-runtime} in a JVM of this
 * jar). Its allocator is the faster for the figure at hand of glibc's and jemalloc never purging,
 * chosen by a probe run of each in this run (the allocator matters up to 12x for PyTorch on the
 * CPU: a batch-32 forward's activations are large enough that glibc maps and unmaps them at every
 * call); OpenBLAS runs on one thread (Debian's starts its own threads beside the OpenMP team);
 * {@code OMP_WAIT_POLICY} is unset (libgomp's default: spin a moment, then sleep); the intra-op
 * thread count is the one it is given. Our own {@code LD_PRELOAD}, {@code MALLOC_CONF} and
 * {@code OMP_WAIT_POLICY} (the launcher's settings for training) are not passed on.
 */
final class RuntimeProcess {

    /** An allocator for the process: the environment it is started with. */
    record Allocator(String name, Map<String, String> environment) {

        static final String NEVER_PURGING = "dirty_decay_ms:-1,muzzy_decay_ms:-1";

        static List<Allocator> candidates() {
            List<Allocator> all = new ArrayList<>(List.of(new Allocator("glibc", Map.of())));
            jemalloc().ifPresent(lib -> all.add(new Allocator("jemalloc(" + NEVER_PURGING + ")",
                    Map.of("LD_PRELOAD", lib.toString(), "MALLOC_CONF", NEVER_PURGING))));
            return all;
        }

        /**
         * The libjemalloc that {@code launch/allocator.sh} found (the launcher and .ci/run source it);
         * none when the JVM was started otherwise.
         */
        static Optional<Path> jemalloc() {
            return Optional.ofNullable(System.getenv("MOBILEVIT_JEMALLOC")).filter(lib -> !lib.isEmpty())
                    .map(Path::of);
        }
    }

    /** Which way a figure is better. */
    enum Better { LOWER, HIGHER }

    /** A figure of the process's last line ({@code key=value}) that a probe ranks allocators by. */
    record Figure(String key, Better better) {}

    /** The probe: one run of the process under each allocator, each run's last line. */
    static final class Probe {
        private final List<String> command;
        private final String lastLineKey;
        private final int threads;
        private final Map<Allocator, Map<String, String>> lastLines;

        private Probe(List<String> command, String lastLineKey, int threads,
                Map<Allocator, Map<String, String>> lastLines) {
            this.command = command;
            this.lastLineKey = lastLineKey;
            this.threads = threads;
            this.lastLines = lastLines;
        }

        /** The process under the allocator whose probe run gave the better {@code figure}. */
        RuntimeProcess fastestFor(Figure figure) {
            Map<Allocator, Double> values = new LinkedHashMap<>();
            lastLines.forEach((a, line) -> values.put(a, Double.parseDouble(line.get(figure.key()))));
            var order = Map.Entry.<Allocator, Double>comparingByValue();
            Allocator best = (figure.better() == Better.LOWER ? values.entrySet().stream().min(order)
                    : values.entrySet().stream().max(order)).orElseThrow().getKey();
            String probe = values.entrySet().stream().map(e -> String.format(Locale.ROOT, "%s %s=%.2f",
                    e.getKey().name(), figure.key(), e.getValue())).collect(Collectors.joining(", "));
            return new RuntimeProcess(command, lastLineKey, threads, best, probe);
        }
    }

    private final List<String> command;
    private final String lastLineKey;
    private final int threads;
    private final Allocator allocator;
    private final String probe;

    private RuntimeProcess(List<String> command, String lastLineKey, int threads, Allocator allocator, String probe) {
        this.command = command;
        this.lastLineKey = lastLineKey;
        this.threads = threads;
        this.allocator = allocator;
        this.probe = probe;
    }

    /** {@code launch/torch_step.py} of the installation this JVM runs from. */
    static Path torchScript() {
        return Path.of(System.getProperty("mobilevit.home", "."), "launch", "torch_step.py");
    }

    /**
     * {@code script} ({@link #torchScript()}) with {@code arguments}, run by the first python of
     * {@code torch} ({@code auto}: python3 on the PATH, then Debian's; otherwise the python to run)
     * that answers {@code lastLineKey}, probed at {@code probeSteps} steps; empty with the reason in
     * {@code whyNot}.
     */
    static Optional<Probe> probeTorch(String torch, Path script, List<String> arguments, String lastLineKey,
            int threads, int probeSteps, StringBuilder whyNot) {
        if (!Files.isRegularFile(script)) {
            whyNot.append("no_").append(script.toString().replace(' ', '_'));
            return Optional.empty();
        }
        for (String python : torch.equals("auto") ? List.of("python3", "/usr/bin/python3") : List.of(torch)) {
            List<String> command = new ArrayList<>(List.of(python, script.toString()));
            command.addAll(arguments);
            Optional<Probe> p = probe(command, lastLineKey, threads, probeSteps);
            if (p.isPresent()) {
                return p;
            }
        }
        whyNot.append("no_python3_with_torch");
        return Optional.empty();
    }

    /**
     * {@code mobilevit <arguments>} in a JVM of this jar started with this one's options, probed at
     * {@code probeSteps} steps; empty when it answers no {@code lastLineKey}.
     */
    static Optional<Probe> probeJava(List<String> arguments, String lastLineKey, int threads, int probeSteps) {
        List<String> command = new ArrayList<>();
        command.add(ProcessHandle.current().info().command()
                .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        command.addAll(ManagementFactory.getRuntimeMXBean().getInputArguments());
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), Main.class.getName()));
        command.addAll(arguments);
        return probe(command, lastLineKey, threads, probeSteps);
    }

    private static Optional<Probe> probe(List<String> command, String lastLineKey, int threads, int probeSteps) {
        Map<Allocator, Map<String, String>> lastLines = new LinkedHashMap<>();
        for (Allocator a : Allocator.candidates()) {
            new RuntimeProcess(command, lastLineKey, threads, a, "").run(2, probeSteps)
                    .ifPresent(line -> lastLines.put(a, line));
        }
        return lastLines.isEmpty() ? Optional.empty() : Optional.of(new Probe(command, lastLineKey, threads, lastLines));
    }

    Allocator allocator() {
        return allocator;
    }

    /** Its configuration, to print beside its figures. */
    String configuration() {
        return "allocator " + allocator.name() + " (the better in this run's probe: " + probe
                + "), OPENBLAS_NUM_THREADS=1, OMP_WAIT_POLICY unset, " + threads + " intra-op thread(s)";
    }

    /** The configuration as name=value pairs for a benchmark's last line, each name led by {@code prefix}. */
    String configurationPairs(String prefix) {
        return prefix + "_allocator=" + allocator.name() + " " + prefix + "_openblas_threads=1 " + prefix + "_threads="
                + threads;
    }

    /**
     * One run: {@code warmup} untimed and {@code steps} timed steps at its thread count; its last
     * line's name=value pairs, empty when it did not run or its last line has no {@code lastLineKey}.
     */
    Optional<Map<String, String>> run(int warmup, int steps) {
        List<String> full = new ArrayList<>(command);
        full.addAll(List.of("--threads", String.valueOf(threads), "--warmup", String.valueOf(warmup), "--steps",
                String.valueOf(steps)));
        ProcessBuilder pb = new ProcessBuilder(full).redirectErrorStream(true);
        Map<String, String> env = pb.environment();
        env.remove("LD_PRELOAD");
        env.remove("MALLOC_CONF");
        env.remove("OMP_WAIT_POLICY"); // the launcher's for training; each runtime runs with libgomp's default
        env.put("OPENBLAS_NUM_THREADS", "1");
        env.putAll(allocator.environment());
        try {
            Process p = pb.start();
            String lastLine = null;
            try (BufferedReader in = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line; (line = in.readLine()) != null; ) {
                    lastLine = line;
                }
            }
            boolean ended = p.waitFor(1, TimeUnit.MINUTES);
            if (ended && p.exitValue() == 0 && lastLine != null && lastLine.startsWith(lastLineKey + "=")) {
                return Optional.of(Arrays.stream(lastLine.split(" ")).map(pair -> pair.split("=", 2))
                        .collect(Collectors.toMap(kv -> kv[0], kv -> kv[1], (a, b) -> b, LinkedHashMap::new)));
            }
            p.destroyForcibly();
            if (!ended || p.exitValue() != 0) { // a failure, not a python without torch (which says so and exits 0)
                System.err.println("the " + lastLineKey.substring(0, lastLineKey.indexOf('_')) + " timing process under "
                        + allocator.name() + " failed (" + (ended ? "exit code " + p.exitValue() : "still running after"
                        + " a minute") + "); its last line: " + lastLine);
            }
        } catch (IOException e) {
            // this program is missing
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return Optional.empty();
    }
}
