package mobilevit.trainer.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import mobilevit.model.Precision;
import mobilevit.model.Variant;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

class TrainConfigTest {

    @TempDir
    Path dir;

    private static final Path CONFIGS = Path.of(System.getProperty("fixtures.dir", "../fixtures")).resolveSibling("configs");

    @Test
    void paperConfigsEqualTheDefaultsOfTheirVariant() {
        TrainConfig xxs = TrainConfig.load(CONFIGS.resolve("mobilevit_xxs.yaml"), List.of());
        assertEquals(Variant.XXS, xxs.model().variant());
        assertEquals(0.05, xxs.model().transformerDropout());
        assertEquals(128, xxs.train().batchSize());
        assertEquals(300, xxs.train().epochs());
        assertEquals(0.002, xxs.optim().lr());
        assertEquals(0.999, xxs.optim().beta2());
        assertEquals(3000, xxs.schedule().warmupIterations());
        assertEquals(ScheduleSection.Mode.EPOCH, xxs.schedule().mode());
        assertEquals("gpu0-7", xxs.train().devices().toString());
        assertEquals(Precision.FP16, xxs.train().precision(), "the paper trained with mixed precision");
        assertEquals(Variant.XS, TrainConfig.load(CONFIGS.resolve("mobilevit_xs.yaml"), List.of()).model().variant());
        TrainConfig s = TrainConfig.load(CONFIGS.resolve("mobilevit_s.yaml"), List.of());
        assertEquals(Variant.S, s.model().variant());
        assertEquals(0.1, s.model().transformerDropout());
        assertEquals(Precision.FP16, s.train().precision());
        TrainConfig demo = TrainConfig.load(CONFIGS.resolve("demo.yaml"), List.of());
        assertEquals(10, demo.model().numClasses());
        assertEquals("cpu", demo.train().devices().toString());
        assertEquals(Precision.FP32, demo.train().precision());
        assertEquals(Precision.FP16, demo.with("train.precision=fp16").train().precision());
        assertNull(demo.data().root());
    }

    /** The three recipes, now short files extending configs/mobilevit.yaml, resolve to what their full files did. */
    @ParameterizedTest
    @ValueSource(strings = {"xxs", "xs", "s"})
    void variantRecipesResolveAsTheirFullFilesDid(String variant) throws URISyntaxException, IOException {
        String name = "mobilevit_" + variant + ".yaml";
        Path before = Path.of(TrainConfigTest.class.getResource("before-extends/" + name).toURI());
        assertTrue(Files.readString(CONFIGS.resolve(name)).contains("\nextends: mobilevit.yaml\n"), name);
        assertEquals(TrainConfig.load(before, List.of()).toYaml(),
                TrainConfig.load(CONFIGS.resolve(name), List.of()).toYaml(), name);
        if (variant.equals("xxs")) {
            assertEquals(TrainConfig.load(before, List.of()).toYaml(),
                    TrainConfig.load(CONFIGS.resolve("mobilevit.yaml"), List.of()).toYaml(), "the base is XXS's recipe");
        }
    }

    @Test
    void overridesAndResolvedYamlRoundTrip() {
        TrainConfig c = TrainConfig.load(CONFIGS.resolve("demo.yaml"),
                List.of("train.epochs=3", "optim.betas=[0.8, 0.99]", "data.root=/tmp/x"));
        assertEquals(3, c.train().epochs());
        assertEquals(0.8, c.optim().beta1());
        assertEquals("/tmp/x", c.data().root());
        TrainConfig again = TrainConfig.fromYaml(c.toYaml());
        assertEquals(c.toYaml(), again.toYaml());
        assertEquals(List.of(), c.differences(again));
        assertEquals(List.of("train.epochs"), c.differences(c.with("train.epochs=4", "data.workers=7")));
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "unknown key        | train:\\n  epoch: 3                      | unknown key train.epoch",
        "unknown section    | trainer:\\n  epochs: 3                   | unknown key trainer.epochs",
        "wrong type         | train:\\n  batch_size: many               | train.batch_size must be an integer, got 'many'",
        "negative batch     | train:\\n  batch_size: -4                 | train.batch_size must be >= 1, got -4",
        "fractional epochs  | train:\\n  epochs: 2.5                    | train.epochs must be an integer, got 2.5",
        "not divisible      | sampler:\\n  min_size: 150                | sampler.min_size (150) is not divisible by sampler.divisible_by (32)",
        "min above max      | sampler:\\n  min_size: 352                | sampler.min_size (352) exceeds sampler.max_size (320)",
        "bad variant        | model:\\n  variant: m                     | model.variant must be one of xxs, xs, s, got 'm'",
        "dropout too high   | model:\\n  classifier_dropout: 1.5        | model.classifier_dropout must be in [0, 1), got 1.5",
        "bad interpolation  | data:\\n  interpolation: cubic            | data.interpolation must be one of bilinear, bilinear-antialias, got 'cubic'",
        "bad schedule mode  | schedule:\\n  mode: step                  | schedule.mode must be one of epoch, iteration, got 'step'",
        "negative lr        | optim:\\n  lr: -0.1                       | optim.lr must be >= ",
        "betas length       | optim:\\n  betas: [0.9]                   | optim.betas must be a list of 2 numbers",
        "beta out of range  | optim:\\n  betas: [0.9, 1.5]              | optim.betas must be in [0, 1)",
        "crop above resize  | eval:\\n  crop: 320                       | eval.crop (320) exceeds eval.resize (288)",
        "bad devices        | train:\\n  devices: tpu0                  | train.devices: devices 'tpu0' not understood",
        "not a section      | epochs: 3                                 | top-level key epochs must be a section",
        "not yaml           | train: [unclosed                          | is not valid YAML",
        "bf16               | train:\\n  precision: bf16                | train.precision",
        "one class          | model:\\n  num_classes: 1                 | model.num_classes must be >= 2, got 1",
        "duplicate key      | optim:\\n  lr: 0.1\\n  lr: 0.2            | found duplicate key lr",
        "duplicate section  | optim:\\n  lr: 0.1\\noptim:\\n  eps: 1.0e-8 | found duplicate key optim",
    })
    void badConfigsGetOneLineNamingTheKey(String kind, String yaml, String expected) throws IOException {
        Path f = dir.resolve("bad.yaml");
        Files.writeString(f, yaml.replace("\\n", "\n"));
        ConfigException e = assertThrows(ConfigException.class, () -> TrainConfig.load(f, List.of()));
        assertTrue(e.getMessage().contains(expected), kind + ": " + e.getMessage());
        assertTrue(e.getMessage().startsWith("config " + f) || e.getMessage().startsWith("config file " + f),
                e.getMessage());
        assertEquals(-1, e.getMessage().indexOf('\n'), "one line: " + e.getMessage());
    }

    @Test
    void missingFileAndBadOverrideAreNamed() {
        assertTrue(assertThrows(ConfigException.class, () -> TrainConfig.load(dir.resolve("none.yaml"), List.of()))
                .getMessage().contains("does not exist"));
        assertTrue(assertThrows(ConfigException.class,
                () -> TrainConfig.load(CONFIGS.resolve("demo.yaml"), List.of("train.nope=1")))
                .getMessage().contains("--set: unknown key train.nope"));
        assertTrue(assertThrows(ConfigException.class,
                () -> TrainConfig.load(CONFIGS.resolve("demo.yaml"), List.of("epochs")))
                .getMessage().contains("--set expects section.key=value"));
    }

    @Test
    void aFileOverridesItsBaseKeyByKeyAndSetOverridesBoth() throws IOException {
        write("base.yaml", "model:\n  num_classes: 7\ntrain:\n  epochs: 5\n  batch_size: 16\n");
        write("sub/middle.yaml", "extends: ../base.yaml\ntrain:\n  epochs: 4\n");
        Path child = write("child.yaml", "extends: sub/middle.yaml\ntrain:\n  epochs: 3\n");
        TrainConfig c = TrainConfig.load(child, List.of());
        assertEquals(3, c.train().epochs(), "the extending file's value");
        assertEquals(16, c.train().batchSize(), "the base's value, two files up");
        assertEquals(7, c.model().numClasses());
        assertEquals(TrainConfig.defaults().optim(), c.optim(), "keys no file gives keep their defaults");
        TrainConfig set = TrainConfig.load(child, List.of("train.epochs=2", "model.num_classes=4"));
        assertEquals(2, set.train().epochs());
        assertEquals(4, set.model().numClasses());
        Path absolute = write("absolute.yaml", "extends: " + dir.resolve("base.yaml") + "\n");
        assertEquals(5, TrainConfig.load(absolute, List.of()).train().epochs());
        assertFalse(c.toYaml().contains("extends"), "the resolved config is complete");
        assertEquals(c.toYaml(), TrainConfig.fromYaml(c.toYaml()).toYaml());
        assertEquals("top-level key extends must be a section (model, data, sampler, train, optim, schedule, eval)",
                assertThrows(ConfigException.class, () -> TrainConfig.fromYaml("extends: base.yaml\n")).getMessage());
    }

    @Test
    void badExtendsGetsOneLineNamingTheFileAndTheChain() throws IOException {
        Path missing = write("missing.yaml", "extends: nope.yaml\n");
        assertEquals("config " + missing + ": extends: base file " + dir.resolve("nope.yaml") + " does not exist",
                messageOf(missing));
        assertEquals("config " + write("number.yaml", "extends: 3\n") + ": extends must be the path of a YAML file,"
                + " got 3", messageOf(dir.resolve("number.yaml")));
        assertEquals("config " + write("empty.yaml", "extends:\n") + ": extends must be the path of a YAML file,"
                + " got null", messageOf(dir.resolve("empty.yaml")));
        Path a = write("a.yaml", "extends: b.yaml\n");
        Path b = write("b.yaml", "extends: ./a.yaml\n");
        assertEquals("config " + b + ": extends: a cycle, " + a + " extends " + b + " extends "
                + dir.resolve("./a.yaml"), messageOf(a));
        Path self = write("self.yaml", "extends: self.yaml\n");
        assertEquals("config " + self + ": extends: a cycle, " + self + " extends " + self, messageOf(self));
    }

    @Test
    void problemsInTheBaseNameTheBaseAndBadValuesTheFileLoaded() throws IOException {
        Path base = write("base.yaml", "train:\n  epoch: 3\n");
        Path child = write("child.yaml", "extends: base.yaml\n");
        assertEquals(messageOf(base), messageOf(child));
        assertTrue(messageOf(child).startsWith("config " + base + ": unknown key train.epoch (known in this section:"
                + " train.epochs, "), messageOf(child));
        write("base.yaml", "train: [unclosed\n");
        assertEquals(messageOf(base), messageOf(child));
        assertTrue(messageOf(child).startsWith("config file " + base + " is not valid YAML: "), messageOf(child));
        write("base.yaml", "train:\n  batch_size: many\n");
        assertEquals("config " + child + ": train.batch_size must be an integer, got 'many'", messageOf(child));
    }

    private Path write(String name, String yaml) throws IOException {
        Path f = dir.resolve(name);
        Files.createDirectories(f.getParent());
        return Files.writeString(f, yaml);
    }

    private static String messageOf(Path config) {
        return assertThrows(ConfigException.class, () -> TrainConfig.load(config, List.of())).getMessage();
    }
}
