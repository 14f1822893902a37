package mobilevit.trainer;

import mobilevit.core.PackageLayers;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Inside the trainer module, dependencies run one way (ARCHITECTURE.md): the run loop in
 * {@code mobilevit.trainer} on top, then report, step, checkpoint, cluster and config. Read from the
 * main sources: a file may name its own package and those below it, never one above it, in an
 * import, a qualified name or a comment's link; and every file is in one of them.
 */
class PackageDependenciesTest {

    /** From the top ({@code ""}: the run loop's own package): each package may use the ones after it. */
    private static final PackageLayers LAYERS = new PackageLayers("mobilevit.trainer",
            List.of("", "report", "step", "checkpoint", "cluster", "config"));

    @Test
    void dependenciesRunOneWay() throws IOException {
        LAYERS.assertOneWay(Path.of("src/main/java/mobilevit/trainer"), 42);
    }

    @Test
    void aReferenceUpwardsOrOutsideTheLayersIsReported() {
        assertEquals(List.of(), LAYERS.violations("Trainer.java",
                "package mobilevit.trainer;\n\nimport mobilevit.trainer.config.A;\nimport mobilevit.trainer.report.B;\n"));
        assertEquals(List.of(), LAYERS.violations("step/A.java",
                "package mobilevit.trainer.step;\n\nimport mobilevit.trainer.checkpoint.B;\n"));
        assertEquals(List.of("step/A.java uses mobilevit.trainer.Trainer", "step/A.java uses mobilevit.trainer.report"),
                LAYERS.violations("step/A.java", "package mobilevit.trainer.step;\n\nimport mobilevit.trainer.Trainer;\n\n"
                        + "class A {\n    Object b = new mobilevit.trainer.report.B();\n}\n"));
        assertEquals(List.of("config/A.java uses mobilevit.trainer.step"), LAYERS.violations("config/A.java",
                "package mobilevit.trainer.config;\n\n/** As {@link mobilevit.trainer.step.B}. */\nrecord A() {}\n"));
        assertEquals(List.of("other/A.java is in none of [, report, step, checkpoint, cluster, config]"),
                LAYERS.violations("other/A.java", "package mobilevit.trainer.other;\n"));
    }
}
