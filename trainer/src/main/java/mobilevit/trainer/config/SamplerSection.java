package mobilevit.trainer.config;

/** Section {@code sampler}: CVNets v0.1's multi-scale variable batch sampler. */
public record SamplerSection(
        @ConfigKey(byDefault = "256", min = 32, doc = "crop size the batch size refers to")
        int baseSize,
        @ConfigKey(byDefault = "160", min = 32, doc = "smallest training crop")
        int minSize,
        @ConfigKey(byDefault = "320", min = 32, doc = "largest training crop")
        int maxSize,
        @ConfigKey(byDefault = "5", min = 1, doc = "crop sizes from min to max")
        int numScales,
        @ConfigKey(byDefault = "32", min = 1, doc = "crop sizes are rounded to multiples of this")
        int divisibleBy) {

    public SamplerSection {
        if (minSize > maxSize) {
            throw new ConfigException("sampler.min_size (" + minSize + ") exceeds sampler.max_size (" + maxSize + ")");
        }
        divisible("sampler.min_size", minSize, divisibleBy);
        divisible("sampler.max_size", maxSize, divisibleBy);
        divisible("sampler.base_size", baseSize, divisibleBy);
    }

    private static void divisible(String key, int size, int divisibleBy) {
        if (size % divisibleBy != 0) {
            throw new ConfigException(key + " (" + size + ") is not divisible by sampler.divisible_by ("
                    + divisibleBy + ")");
        }
    }
}
