package mobilevit.trainer;

/** Section {@code schedule}: linear warm-up, then cosine annealing ({@link LearningRate}). */
public record ScheduleSection(
        @ConfigKey(byDefault = "3000", min = 0, doc = "iterations of the linear warm-up")
        int warmupIterations,
        @ConfigKey(byDefault = "0.0002", min = 0, doc = "learning rate at the first iteration")
        double warmupInitLr,
        @ConfigKey(byDefault = "0.0002", min = 0, doc = "learning rate at the end of the cosine")
        double minLr,
        @ConfigKey(byDefault = "epoch",
                doc = "epoch (v0.1's default: constant within an epoch) or iteration")
        LearningRate.Mode mode) {}
