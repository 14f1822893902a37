package mobilevit.trainer;

import static mobilevit.model.TensorAssert.assertClose;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import mobilevit.model.Devices;
import mobilevit.model.MobileViT;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.Map;

/**
 * N replicas on one CPU compute the update of one replica on the whole batch. BatchNorm runs in
 * eval mode (frozen statistics) so that per-shard batch statistics do not enter the comparison,
 * and everything runs in float64: in float32 the summation order alone moves small gradient
 * elements by up to 1e-3 relative, which would hide a real difference.
 */
class ReplicaEquivalenceTest {

    private static final int BATCH = 10;

    @ParameterizedTest
    @ValueSource(ints = {2, 4})
    void replicasGiveTheSingleReplicaGradientsAndUpdate(int replicas) {
        MobileViT.Builder builder = MobileViT.builder().optNumClasses(10).optDataType(DataType.FLOAT64);
        try (NDManager m = NDManager.newBaseManager();
                ReplicaGroup one = new ReplicaGroup(Devices.parse("cpu", 0), builder, 7, 0.1, false);
                ReplicaGroup many = new ReplicaGroup(Devices.parse("cpu:" + replicas, 0), builder, 7, 0.1, false)) {
            NDArray images = m.randomUniform(0, 1, new Shape(BATCH, 3, 64, 64)).toType(DataType.FLOAT64, false);
            NDArray labels = m.create(new long[] {0, 1, 2, 3, 4, 5, 6, 7, 8, 9});
            // uneven shards: replica r takes a different share of the batch
            int[] bounds = new int[replicas + 1];
            for (int r = 1; r <= replicas; r++) {
                bounds[r] = r == replicas ? BATCH : bounds[r - 1] + 1 + r % 2;
            }
            AdamW a1 = new AdamW(0.9, 0.999, 1e-8, 0.01);
            AdamW an = new AdamW(0.9, 0.999, 1e-8, 0.01);
            for (int step = 0; step < 2; step++) {
                double l1 = one.forwardBackward((r, scope) -> new NDList(images.duplicate(), labels.duplicate()), 0, step).loss();
                double ln = many.forwardBackward((r, scope) -> {
                    NDIndex slice = new NDIndex("{}:{}", bounds[r], bounds[r + 1]);
                    return new NDList(images.get(slice), labels.get(slice));
                }, 0, step).loss();
                assertEquals(l1, ln, 1e-12 * l1, "loss");
                for (String name : one.gradients().keySet()) {
                    assertClose("gradient " + name, many.gradients().get(name), one.gradients().get(name), 1e-15, 1e-9);
                }
                one.apply(a1, 0.002);
                many.apply(an, 0.002);
            }
            assertEquals(2, an.steps(), "one optimizer step per training step");
            for (Map.Entry<String, NDArray> e : one.state().entrySet()) {
                assertClose("weights " + e.getKey(), many.state().get(e.getKey()), e.getValue(), 1e-12, 1e-9);
            }
        }
    }
}
