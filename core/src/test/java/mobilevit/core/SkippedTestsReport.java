package mobilevit.core;

import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.launcher.TestExecutionListener;
import org.junit.platform.launcher.TestIdentifier;
import org.junit.platform.launcher.TestPlan;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * Says at the end of each module's tests which tests were skipped and why (a missing optional
 * package: python3-torch, libturbojpeg0, Open MPI, ...), over every module of the build so far, so the
 * last module's report covers the whole {@code mvn verify}. Each module's skips go to
 * {@code <mobilevit.skips.dir>/<module>.tsv} (surefire sets both properties in the parent pom), tagged
 * with the build's start time, so files a build before left behind are not counted.
 */
public final class SkippedTestsReport implements TestExecutionListener {

    private final List<String> skips = new ArrayList<>();

    @Override
    public void executionSkipped(TestIdentifier test, String reason) {
        skips.add(reason + "\t" + test.getLegacyReportingName());
    }

    @Override
    public void executionFinished(TestIdentifier test, TestExecutionResult result) {
        if (result.getStatus() == TestExecutionResult.Status.ABORTED) {
            String reason = result.getThrowable().map(Throwable::getMessage).orElse("aborted");
            skips.add(reason.replaceFirst("^Assumption failed: ", "").replaceAll("\\s+", " ") + "\t"
                    + test.getLegacyReportingName());
        }
    }

    @Override
    public void testPlanExecutionFinished(TestPlan plan) {
        String dir = System.getProperty("mobilevit.skips.dir");
        String module = System.getProperty("mobilevit.module");
        String build = System.getProperty("mobilevit.build");
        if (dir == null || module == null || build == null) {
            return;
        }
        try {
            Path folder = Files.createDirectories(Path.of(dir));
            List<String> lines = new ArrayList<>(List.of(build));
            lines.addAll(skips);
            Files.write(folder.resolve(module + ".tsv"), lines, StandardCharsets.UTF_8);
            System.out.println(summary(folder, build));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The skipped tests of this build's modules so far, counted by reason, one reason a line. */
    static String summary(Path folder, String build) throws IOException {
        Map<String, Integer> byReason = new TreeMap<>();
        List<String> modules = new ArrayList<>();
        try (Stream<Path> files = Files.list(folder)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".tsv")).sorted().toList()) {
                List<String> lines = Files.readAllLines(f, StandardCharsets.UTF_8);
                if (lines.isEmpty() || !lines.get(0).equals(build)) {
                    continue;
                }
                modules.add(f.getFileName().toString().replace(".tsv", ""));
                for (String line : lines.subList(1, lines.size())) {
                    byReason.merge(line.substring(0, line.indexOf('\t')), 1, Integer::sum);
                }
            }
        }
        int total = byReason.values().stream().mapToInt(Integer::intValue).sum();
        StringBuilder s = new StringBuilder("Skipped tests: " + total + " in " + String.join(", ", modules)
                + (total == 0 ? "" : ", by reason:"));
        byReason.forEach((reason, count) -> s.append(System.lineSeparator()).append("  ").append(count).append("  ")
                .append(reason));
        return s.toString();
    }
}
