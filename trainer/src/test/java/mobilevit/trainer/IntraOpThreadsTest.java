package mobilevit.trainer;

import mobilevit.trainer.config.TrainConfig;
import mobilevit.trainer.config.TrainSection;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.Device;

import org.junit.jupiter.api.Test;

import java.util.List;

/** train.threads 0 leaves a core to the data loaders on CPU replicas, and PyTorch's default on GPUs. */
class IntraOpThreadsTest {

    private static TrainSection train(int threads) {
        return TrainConfig.fromYaml("train:\n  threads: " + threads + "\n").train();
    }

    @Test
    void automaticOnTheCpuLeavesOneCoreToTheLoaders() {
        TrainSection auto = train(0);
        assertEquals(1, RunSetup.intraOpThreads(auto, List.of(Device.cpu()), 2));
        assertEquals(1, RunSetup.intraOpThreads(auto, List.of(Device.cpu()), 1));
        assertEquals(15, RunSetup.intraOpThreads(auto, List.of(Device.cpu()), 16));
        assertEquals(3, RunSetup.intraOpThreads(auto, List.of(Device.cpu(), Device.cpu(), Device.cpu(), Device.cpu()), 16));
        assertEquals(1, RunSetup.intraOpThreads(auto, List.of(Device.cpu(), Device.cpu(), Device.cpu()), 2));
    }

    @Test
    void gpusKeepPyTorchsDefaultAndAGivenCountIsKept() {
        assertEquals(0, RunSetup.intraOpThreads(train(0), List.of(Device.gpu(0), Device.gpu(1)), 16));
        assertEquals(2, RunSetup.intraOpThreads(train(2), List.of(Device.cpu()), 2));
        assertEquals(4, RunSetup.intraOpThreads(train(4), List.of(Device.gpu(0)), 16));
    }
}
