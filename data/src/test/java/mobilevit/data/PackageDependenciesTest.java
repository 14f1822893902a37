package mobilevit.data;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Inside the data module, dependencies run one way: pipeline, then dataset, then codec (ARCHITECTURE.md).
 * Read from the main sources: a file may name its own package and those below it, never one above
 * it, in an import, a qualified name or a comment's link; and every file is in one of the three.
 */
class PackageDependenciesTest {

    /** From the top: each package may use the ones after it. */
    private static final List<String> LAYERS = List.of("pipeline", "dataset", "codec");
    private static final Path SOURCES = Path.of("src/main/java/mobilevit/data");
    private static final Pattern REFERENCE = Pattern.compile("\\bmobilevit\\.data\\.(\\w+)");

    @Test
    void dependenciesRunOneWay() throws IOException {
        List<String> wrong = new ArrayList<>();
        int files = 0;
        try (Stream<Path> walk = Files.walk(SOURCES)) {
            for (Path file : walk.filter(f -> f.toString().endsWith(".java")).sorted().toList()) {
                wrong.addAll(violations(SOURCES.relativize(file).toString(), Files.readString(file)));
                files++;
            }
        }
        assertEquals(List.of(), wrong);
        assertTrue(files > 40, files + " source files read from " + SOURCES.toAbsolutePath());
    }

    @Test
    void aReferenceUpwardsOrOutsideTheLayersIsReported() {
        assertEquals(List.of(), violations("pipeline/A.java",
                "package mobilevit.data.pipeline;\n\nimport mobilevit.data.codec.B;\nimport mobilevit.data.dataset.C;\n"));
        assertEquals(List.of("codec/A.java uses mobilevit.data.dataset", "codec/A.java uses mobilevit.data.pipeline"),
                violations("codec/A.java", "package mobilevit.data.codec;\n\nimport mobilevit.data.pipeline.B;\n\n"
                        + "class A {\n    Object c = new mobilevit.data.dataset.C();\n}\n"));
        assertEquals(List.of("dataset/A.java uses mobilevit.data.pipeline"), violations("dataset/A.java",
                "package mobilevit.data.dataset;\n\n/** As {@link mobilevit.data.pipeline.B}. */\nclass A {}\n"));
        assertEquals(List.of("A.java is in none of [pipeline, dataset, codec]"),
                violations("A.java", "package mobilevit.data;\n"));
        assertEquals(List.of("codec/A.java uses mobilevit.data.other, which is in none of [pipeline, dataset, codec]"),
                violations("codec/A.java", "package mobilevit.data.codec;\n\nimport mobilevit.data.other.B;\n"));
    }

    /** What is wrong with one file, {@code file} relative to {@link #SOURCES}. */
    private static List<String> violations(String file, String source) {
        int slash = file.indexOf('/');
        int rank = slash < 0 ? -1 : LAYERS.indexOf(file.substring(0, slash));
        if (rank < 0) {
            return List.of(file + " is in none of " + LAYERS);
        }
        TreeSet<String> wrong = new TreeSet<>();
        Matcher m = REFERENCE.matcher(source);
        while (m.find()) {
            int used = LAYERS.indexOf(m.group(1));
            if (used < 0) {
                wrong.add(file + " uses " + m.group() + ", which is in none of " + LAYERS);
            } else if (used < rank) {
                wrong.add(file + " uses " + m.group());
            }
        }
        return List.copyOf(wrong);
    }
}
