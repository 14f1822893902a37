package mobilevit.data;

import mobilevit.core.PackageLayers;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Inside the data module, dependencies run one way: pipeline, then dataset, then codec (ARCHITECTURE.md).
 * Read from the main sources: a file may name its own package and those below it, never one above
 * it, in an import, a qualified name or a comment's link; and every file is in one of the three.
 */
class PackageDependenciesTest {

    /** From the top: each package may use the ones after it. */
    private static final PackageLayers LAYERS =
            new PackageLayers("mobilevit.data", List.of("pipeline", "dataset", "codec"));

    @Test
    void dependenciesRunOneWay() throws IOException {
        LAYERS.assertOneWay(Path.of("src/main/java/mobilevit/data"), 41);
    }

    @Test
    void aReferenceUpwardsOrOutsideTheLayersIsReported() {
        assertEquals(List.of(), LAYERS.violations("pipeline/A.java",
                "package mobilevit.data.pipeline;\n\nimport mobilevit.data.codec.B;\nimport mobilevit.data.dataset.C;\n"));
        assertEquals(List.of("codec/A.java uses mobilevit.data.dataset", "codec/A.java uses mobilevit.data.pipeline"),
                LAYERS.violations("codec/A.java", "package mobilevit.data.codec;\n\nimport mobilevit.data.pipeline.B;\n\n"
                        + "class A {\n    Object c = new mobilevit.data.dataset.C();\n}\n"));
        assertEquals(List.of("dataset/A.java uses mobilevit.data.pipeline"), LAYERS.violations("dataset/A.java",
                "package mobilevit.data.dataset;\n\n/** As {@link mobilevit.data.pipeline.B}. */\nclass A {}\n"));
        assertEquals(List.of("A.java is in none of [pipeline, dataset, codec]"),
                LAYERS.violations("A.java", "package mobilevit.data;\n"));
        assertEquals(List.of("codec/A.java uses mobilevit.data.other, which is in none of [pipeline, dataset, codec]"),
                LAYERS.violations("codec/A.java", "package mobilevit.data.codec;\n\nimport mobilevit.data.other.B;\n"));
    }
}
