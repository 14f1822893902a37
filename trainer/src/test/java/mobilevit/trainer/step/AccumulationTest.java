package mobilevit.trainer.step;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import mobilevit.model.Devices;
import mobilevit.model.MobileViT;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.Arrays;
import java.util.Map;

/**
 * Gradient accumulation: micro-batches of unequal sizes, on one or two replicas, give the update
 * of one step on all their images at once (float64, BatchNorm frozen; bound as in
 * {@link ReplicaEquivalenceTest}), and only the window's last micro-batch steps the optimizer.
 */
class AccumulationTest {

    private static final MobileViT.Builder MODEL = MobileViT.builder().optNumClasses(10).optDataType(DataType.FLOAT64);

    @ParameterizedTest
    @CsvSource({"cpu, 0:4:10", "cpu:2, 0:3:10", "cpu, 0:2:5:10"})
    void microBatchesGiveTheUpdateOfTheWholeBatch(String devices, String splits) {
        int[] bounds = Arrays.stream(splits.split(":")).mapToInt(Integer::parseInt).toArray();
        int micro = bounds.length - 1;
        try (NDManager m = NDManager.newBaseManager();
                TrainStep whole = step("cpu", 1);
                TrainStep parts = step(devices, micro)) {
            NDArray images = m.randomUniform(0, 1, new Shape(10, 3, 64, 64)).toType(DataType.FLOAT64, false);
            NDArray labels = m.create(new long[] {0, 1, 2, 3, 4, 5, 6, 7, 8, 9});
            assertTrue(whole.train((r, scope) -> new NDList(images.duplicate(), labels.duplicate()), 0.002).updated());
            int replicas = Devices.parse(devices, 0).size();
            for (int k = 0; k < micro; k++) {
                int from = bounds[k];
                int to = bounds[k + 1];
                TrainStep.Result r = parts.train((replica, scope) -> {
                    // micro-batch [from, to), split again between the replicas
                    int mid = from + (to - from) * (replica + 1) / replicas;
                    int start = from + (to - from) * replica / replicas;
                    NDIndex slice = new NDIndex("{}:{}", start, mid);
                    return new NDList(images.get(slice), labels.get(slice));
                }, 0.002);
                assertEquals(k == micro - 1, r.updated(), "update after micro-batch " + (k + 1) + " of " + micro);
                assertEquals(to - from, r.images());
            }
            assertTrue(parts.atUpdateBoundary());
            assertEquals(1, parts.optimizer().steps());
            Map<String, NDArray> expected = whole.replicas().state();
            for (Map.Entry<String, NDArray> e : parts.replicas().state().entrySet()) {
                double err = e.getValue().sub(expected.get(e.getKey())).abs().max().getDouble();
                assertTrue(err <= 1e-10, "weights " + e.getKey() + ": max |a-b| " + err);
            }
        }
    }

    @Test
    void anEpochsShortLastWindowIsClosedAndNoEmptyOne() {
        try (NDManager m = NDManager.newBaseManager(); TrainStep step = step("cpu", 3)) {
            NDArray images = m.randomUniform(0, 1, new Shape(2, 3, 64, 64)).toType(DataType.FLOAT64, false);
            NDArray labels = m.create(new long[] {0, 1});
            TrainStep.Result last = step.train((r, scope) -> new NDList(images.duplicate(), labels.duplicate()), 0.002);
            assertFalse(last.updated());
            assertFalse(step.atUpdateBoundary());
            assertTrue(step.closeEpoch(last, 0.002).updated());
            assertTrue(step.atUpdateBoundary());
            assertEquals(1, step.optimizer().steps());
            assertFalse(step.closeWindow(0.002), "no window is open");
            assertEquals(1, step.optimizer().steps());
        }
    }

    private static TrainStep step(String devices, int accumulation) {
        return TrainStep.builder(Devices.parse(devices, 0), MODEL).optSeed(7)
                .optForwardMode(ReplicaGroup.ForwardMode.EVAL).optAccumulation(accumulation).build();
    }
}
