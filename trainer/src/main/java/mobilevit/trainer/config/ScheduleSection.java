package mobilevit.trainer.config;

import mobilevit.core.Choice;

/** Section {@code schedule}: linear warm-up, then cosine annealing ({@code LearningRate} in {@code step}). */
public record ScheduleSection(
        @ConfigKey(byDefault = "3000", min = 0, doc = "iterations of the linear warm-up")
        int warmupIterations,
        @ConfigKey(byDefault = "0.0002", min = 0, doc = "learning rate at the first iteration")
        double warmupInitLr,
        @ConfigKey(byDefault = "0.0002", min = 0, doc = "learning rate at the end of the cosine")
        double minLr,
        @ConfigKey(byDefault = "epoch",
                doc = "epoch (v0.1's default: constant within an epoch) or iteration")
        Mode mode) {

    /** Whether the cosine advances per epoch or per iteration. */
    public enum Mode implements Choice {
        EPOCH, ITERATION;

        public static Mode parse(String s) {
            return Choice.parse(Mode.class, s,
                    t -> "unknown schedule mode '" + t + "' (expected " + Choice.alternatives(Mode.class) + ")");
        }
    }
}
