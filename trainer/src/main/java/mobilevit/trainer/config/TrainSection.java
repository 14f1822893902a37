package mobilevit.trainer.config;

import mobilevit.model.Devices;
import mobilevit.model.MemoryFormat;
import mobilevit.model.Precision;

/** Section {@code train}: the run's length, batches, devices and what it records. */
public record TrainSection(
        @ConfigKey(byDefault = "300", min = 1, doc = "epochs")
        int epochs,
        @ConfigKey(byDefault = "128", min = 1,
                doc = "images per replica at base_size (scaled by base_size^2 / (h*w))")
        int batchSize,
        @ConfigKey(byDefault = "1", min = 1,
                doc = "micro-batches per optimizer step (CVNets' --common.accum-freq)")
        int accumFreq,
        @ConfigKey(byDefault = "gpu0-7", doc = "cpu, cpu:N (N replicas on the CPU), gpu0, gpu0-7, gpu0,2 or all")
        Devices.Spec devices,
        @ConfigKey(byDefault = "0", min = 0, doc = "PyTorch intra-op threads (0: cores - 1 over CPU replicas)")
        int threads,
        @ConfigKey(byDefault = "fp32", doc = "fp32, or fp16 (float16 compute with dynamic loss scaling)")
        Precision precision,
        @ConfigKey(byDefault = "channels_last",
                doc = "training feature maps stored channels_last (N, H, W, C) or contiguous")
        MemoryFormat memoryFormat,
        @ConfigKey(byDefault = "0", doc = "seed of every random choice")
        long seed,
        @ConfigKey(byDefault = "0.1", min = 0, below = 1, doc = "epsilon of the label-smoothed cross-entropy")
        double labelSmoothing,
        @ConfigKey(byDefault = "0.0005", min = Double.MIN_VALUE, max = 1,
                doc = "weight of the new value in the EMA of the weights")
        double emaMomentum,
        @ConfigKey(byDefault = "0", min = 0, doc = "steps between mid-epoch checkpoints (0: epoch ends only)")
        int checkpointEvery,
        @ConfigKey(byDefault = "3", min = 1, doc = "newest checkpoints kept (the best one is always kept)")
        int keepCheckpoints,
        @ConfigKey(byDefault = "50", min = 1, doc = "steps between progress lines")
        int logEvery) {

    /** Whether a mid-epoch checkpoint follows optimizer step {@code step} (every {@code checkpoint_every}th). */
    public boolean isCheckpointStep(long step) {
        return checkpointEvery > 0 && step % checkpointEvery == 0;
    }

}
