package mobilevit.trainer.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import mobilevit.data.codec.PixelLimit;
import mobilevit.data.pipeline.Interpolation;
import mobilevit.data.pipeline.RandomResizedCrop;
import mobilevit.model.Precision;
import mobilevit.model.Variant;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

class ConfigBinderTest {

    record Counts(@ConfigKey(byDefault = "3", min = 1, doc = "how many") int someCount,
            @ConfigKey(byDefault = "null", doc = "a name") String name,
            @ConfigKey(byDefault = "[1, 2]", min = 0, below = 10, doc = "a pair") List<Double> pair) {}

    record Sections(Counts counts) {}

    record Undeclared(int x) {}

    record WithUndeclared(Undeclared section) {}

    @Test
    void keysAreTheComponentsInSnakeCaseUnderTheirSection() {
        assertEquals(List.of("counts.some_count", "counts.name", "counts.pair"),
                ConfigBinder.keys(Sections.class).stream().map(ConfigBinder.Key::path).toList());
        Sections s = ConfigBinder.bind(Sections.class, Map.of("counts.some_count", 5));
        assertEquals(new Counts(5, null, List.of(1.0, 2.0)), s.counts());
        Map<String, Object> expected = new LinkedHashMap<>();
        expected.put("counts.some_count", 5);
        expected.put("counts.name", null);
        expected.put("counts.pair", List.of(1.0, 2.0));
        assertEquals(expected, ConfigBinder.unbind(s));
        assertEquals(s, ConfigBinder.bind(Sections.class, ConfigBinder.unbind(s)));
    }

    @Test
    void valuesOutsideTheDeclarationAreRefusedNamingTheKey() {
        assertEquals("counts.some_count must be >= 1, got 0", assertThrows(ConfigException.class,
                () -> ConfigBinder.bind(Sections.class, Map.of("counts.some_count", 0))).getMessage());
        assertEquals("counts.pair must be in [0, 10), got [1, 10]", assertThrows(ConfigException.class,
                () -> ConfigBinder.bind(Sections.class, Map.of("counts.pair", List.of(1, 10)))).getMessage());
        assertEquals("counts.pair must be a list of 2 numbers, got [1]", assertThrows(ConfigException.class,
                () -> ConfigBinder.bind(Sections.class, Map.of("counts.pair", List.of(1)))).getMessage());
        assertEquals("counts.name must be a text value, got {a=1}", assertThrows(ConfigException.class,
                () -> ConfigBinder.bind(Sections.class, Map.of("counts.name", Map.of("a", 1)))).getMessage());
    }

    @Test
    void aComponentWithoutDeclarationIsAProgrammingError() {
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> ConfigBinder.keys(WithUndeclared.class));
        assertTrue(e.getMessage().contains("Undeclared.x has no @ConfigKey"), e.getMessage());
    }

    @Test
    void cvnetsVariantNamesAreAcceptedAndWrittenAsTheShortId() {
        TrainConfig d = TrainConfig.defaults();
        assertEquals(Variant.XXS, d.with("model.variant=xx_small").model().variant());
        assertEquals(Variant.XS, d.with("model.variant=x_small").model().variant());
        assertEquals(Variant.S, d.with("model.variant=small").model().variant());
        assertEquals(Variant.S, d.with("model.variant=Small").model().variant());
        assertTrue(d.with("model.variant=x_small").toYaml().contains("\n  variant: xs\n"));
        assertEquals(List.of("model.variant"), d.differences(d.with("model.variant=small")));
    }

    @Test
    void choicesAreParsedAtLoad() {
        TrainConfig c = TrainConfig.defaults().with("data.random_crop=TorchVision",
                "data.interpolation=bilinear-antialias", "train.precision=FP16", "schedule.mode=iteration");
        assertEquals(RandomResizedCrop.Variant.TORCHVISION, c.data().randomCrop());
        assertEquals(Interpolation.BILINEAR_ANTIALIAS, c.data().interpolation());
        assertEquals(Precision.FP16, c.train().precision());
        assertEquals(ScheduleSection.Mode.ITERATION, c.schedule().mode());
        assertEquals(RandomResizedCrop.Variant.CVNETS_V01, TrainConfig.defaults().data().randomCrop());
    }

    @Test
    void theImagePixelLimitIsPilsUnlessSet() {
        assertEquals(PixelLimit.DEFAULT, TrainConfig.defaults().data().pixelLimit());
        assertEquals(new PixelLimit(1000), TrainConfig.defaults().with("data.max_image_pixels=1000").data().pixelLimit());
    }

    @Test
    void changedDataIsRefusedUnlessAllowed() {
        assertFalse(TrainConfig.defaults().data().allowChangedData());
        assertTrue(TrainConfig.defaults().with("data.allow_changed_data=true").data().allowChangedData());
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "model.variant=m              | model.variant must be one of xxs, xs, s, got 'm'",
        "data.random_crop=timm        | data.random_crop must be one of cvnets, torchvision, got 'timm'",
        "data.interpolation=bicubic   | data.interpolation must be one of bilinear, bilinear-antialias, got 'bicubic'",
        "train.precision=bf16         | train.precision must be one of fp32, fp16, got 'bf16'",
        "schedule.mode=step           | schedule.mode must be one of epoch, iteration, got 'step'",
        "train.seed=abc               | train.seed must be an integer, got 'abc'",
        "train.epochs=99999999999     | train.epochs must be an integer, got 99999999999",
        "train.seed=99999999999999999999 | train.seed must be an integer in range, got 99999999999999999999",
        "optim.betas=0.9              | optim.betas must be a list of numbers, got 0.9",
        "optim.eps=.inf               | optim.eps must be a finite number, got Infinity",
        "model.classifier_dropout=1   | model.classifier_dropout must be in [0, 1), got 1",
        "train.ema_momentum=1.5       | train.ema_momentum must be in [4.9E-324, 1], got 1.5",
        "data.max_image_pixels=0      | data.max_image_pixels must be in [1, 715827882], got 0",
        "data.allow_changed_data=1    | data.allow_changed_data must be true or false, got 1",
        "optim.beta=1                 | --set: unknown key optim.beta (known in this section: optim.lr, optim.weight_decay, optim.betas, optim.eps)",
        "trainer.epochs=1             | --set: unknown key trainer.epochs (sections: model, data, sampler, train, optim, schedule, eval)",
    })
    void badValuesGetOneLineNamingTheKeyAndTheValue(String override, String message) {
        assertEquals(message, assertThrows(ConfigException.class, () -> TrainConfig.defaults().with(override))
                .getMessage());
    }

    @Test
    void unknownKeysAreNamedWithTheirFullPath() {
        ConfigException e = assertThrows(ConfigException.class,
                () -> TrainConfig.fromYaml("model:\n  variant:\n    size: 1\n"));
        assertTrue(e.getMessage().startsWith("unknown key model.variant.size (known in this section: model.variant,"),
                e.getMessage());
    }

    @Test
    void theMaximumIsInclusiveWhereNoOpenBoundIsDeclared() {
        assertEquals(1.0, TrainConfig.defaults().with("train.ema_momentum=1").train().emaMomentum());
        assertNull(TrainConfig.defaults().model().transformerDropout());
    }

    @Test
    void helpListsEveryKeyWithItsDefault() {
        String help = TrainConfig.keysHelp();
        List<String> lines = help.lines().toList();
        assertEquals(2 * ConfigBinder.keys(TrainConfig.class).size() + 1, lines.size(), help);
        assertTrue(help.contains("\n  model.variant (default xxs)\n      xxs, xs or s"), help);
        assertTrue(help.contains("\n  optim.betas (default [0.9, 0.999])\n"), help);
        lines.forEach(l -> assertTrue(l.length() <= 80, "fits the 80 columns of --help unwrapped: " + l));
    }
}
