package mobilevit.launch;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
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
 * PyTorch eager's training step or eval-mode forward ({@code launch/torch_step.py}, its
 * {@code --infer} mode) in its own best configuration, never
 * ours: the faster of glibc's allocator and jemalloc never purging (chosen by a probe run of each
 * in this process's run, as the allocator matters up to 2x for PyTorch on the CPU), OpenBLAS on one
 * thread (Debian's starts its own threads beside torch's OpenMP team), and the intra-op thread count
 * it is given, ours. Our own {@code LD_PRELOAD} and {@code MALLOC_CONF} (the launcher's jemalloc
 * setting) are not passed on.
 */
final class TorchBaseline {

    /** An allocator for the baseline's process: the environment it is started with. */
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

    private final String python;
    private final Path script;
    private final List<String> model;
    private final String timeKey;
    private final int threads;
    private Allocator allocator;
    private String probe = "";

    private TorchBaseline(String python, Path script, List<String> model, String timeKey, int threads) {
        this.python = python;
        this.script = script;
        this.model = model;
        this.timeKey = timeKey;
        this.threads = threads;
    }

    /**
     * The baseline with the first of {@code pythons} that runs the script, its allocator chosen by a
     * probe of {@code probeSteps} steps under each candidate (the one with the smaller value of
     * {@code timeKey}, a time in its last line); empty with the reason in {@code whyNot}.
     */
    static Optional<TorchBaseline> find(List<String> pythons, Path script, List<String> model, String timeKey,
            int threads, int probeSteps, StringBuilder whyNot) {
        if (!Files.isRegularFile(script)) {
            whyNot.append("no_").append(script.toString().replace(' ', '_'));
            return Optional.empty();
        }
        for (String python : pythons) {
            TorchBaseline b = new TorchBaseline(python, script, model, timeKey, threads);
            Map<Allocator, Double> stepMs = new LinkedHashMap<>();
            for (Allocator a : Allocator.candidates()) {
                b.allocator = a;
                b.run(2, probeSteps).ifPresent(r -> stepMs.put(a, Double.parseDouble(r.get(timeKey))));
            }
            if (!stepMs.isEmpty()) {
                b.allocator = stepMs.entrySet().stream().min(Map.Entry.comparingByValue()).orElseThrow().getKey();
                b.probe = stepMs.entrySet().stream().map(e -> String.format(Locale.ROOT, "%s %.1f ms",
                        e.getKey().name(), e.getValue())).collect(Collectors.joining(", "));
                return Optional.of(b);
            }
        }
        whyNot.append("no_python3_with_torch");
        return Optional.empty();
    }

    /** Its configuration, to print beside its figures. */
    String configuration() {
        return "allocator " + allocator.name() + " (the faster in this run's probe times: " + probe
                + "), OPENBLAS_NUM_THREADS=1, OMP_WAIT_POLICY unset, " + threads + " intra-op thread(s)";
    }

    /** The configuration as name=value pairs for a benchmark's last line. */
    String configurationPairs() {
        return "torch_allocator=" + allocator.name() + " torch_openblas_threads=1 torch_threads=" + threads;
    }

    /** One run of the script: its last line's name=value pairs, empty when it did not run. */
    Optional<Map<String, String>> run(int warmup, int steps) {
        List<String> command = new ArrayList<>(List.of(python, script.toString()));
        command.addAll(model);
        command.addAll(List.of("--threads", String.valueOf(threads), "--warmup", String.valueOf(warmup), "--steps",
                String.valueOf(steps)));
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
        Map<String, String> env = pb.environment();
        env.remove("LD_PRELOAD");
        env.remove("MALLOC_CONF");
        env.remove("OMP_WAIT_POLICY"); // the launcher's; PyTorch runs with libgomp's default
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
            if (p.waitFor(1, TimeUnit.MINUTES) && p.exitValue() == 0 && lastLine != null
                    && lastLine.startsWith(timeKey + "=")) {
                return Optional.of(Arrays.stream(lastLine.split(" ")).map(pair -> pair.split("=", 2))
                        .collect(Collectors.toMap(kv -> kv[0], kv -> kv[1], (a, b) -> b, LinkedHashMap::new)));
            }
            p.destroyForcibly();
        } catch (IOException e) {
            // this python is missing
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return Optional.empty();
    }
}
