package mobilevit.trainer.config;

/** Section {@code eval}: the validation after every epoch. */
public record EvalSection(
        @ConfigKey(byDefault = "288", min = 32, doc = "shorter side before the centre crop")
        int resize,
        @ConfigKey(byDefault = "256", min = 32, doc = "centre crop")
        int crop,
        @ConfigKey(byDefault = "100", min = 1, doc = "validation batch")
        int batchSize) {

    public EvalSection {
        if (crop > resize) {
            throw new ConfigException("eval.crop (" + crop + ") exceeds eval.resize (" + resize + ")");
        }
    }
}
