package mobilevit.trainer;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.Device;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;

/** train.threads 0 leaves a core to the data loaders on CPU replicas, and PyTorch's default on GPUs. */
class IntraOpThreadsTest {

    private static Trainer trainer(int threads) {
        TrainConfig cfg = TrainConfig.fromYaml("train:\n  threads: " + threads + "\n");
        return new Trainer(cfg, Path.of("unused"), null);
    }

    @Test
    void automaticOnTheCpuLeavesOneCoreToTheLoaders() {
        Trainer auto = trainer(0);
        assertEquals(1, auto.intraOpThreads(List.of(Device.cpu()), 2));
        assertEquals(1, auto.intraOpThreads(List.of(Device.cpu()), 1));
        assertEquals(15, auto.intraOpThreads(List.of(Device.cpu()), 16));
        assertEquals(3, auto.intraOpThreads(List.of(Device.cpu(), Device.cpu(), Device.cpu(), Device.cpu()), 16));
        assertEquals(1, auto.intraOpThreads(List.of(Device.cpu(), Device.cpu(), Device.cpu()), 2));
    }

    @Test
    void gpusKeepPyTorchsDefaultAndAGivenCountIsKept() {
        assertEquals(0, trainer(0).intraOpThreads(List.of(Device.gpu(0), Device.gpu(1)), 16));
        assertEquals(2, trainer(2).intraOpThreads(List.of(Device.cpu()), 2));
        assertEquals(4, trainer(4).intraOpThreads(List.of(Device.gpu(0)), 16));
    }
}
