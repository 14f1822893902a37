package mobilevit.trainer.step;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import mobilevit.model.MobileViT;
import mobilevit.model.Precision;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.util.List;

/**
 * fp16 steps that must be skipped: no AdamW update, no EMA update, the scale halved; the NaN-loss
 * limit; and the fp32 steps that stop the run.
 */
class MixedPrecisionStepTest {

    private static final MobileViT.Builder MODEL = MobileViT.builder().optNumClasses(3);

    private static TrainStep fp16(LossScaler scaler) {
        return TrainStep.builder(List.of(Device.cpu()), MODEL).optSeed(3).optEma(0.5)
                .optPrecision(Precision.FP16).optLossScaler(scaler).build();
    }

    private static ReplicaGroup.ShardSource batch(float pixel) {
        return (replica, scope) -> {
            NDArray images = scope.randomUniform(0, 1, new Shape(2, 3, 32, 32));
            if (pixel != 0) {
                images.set(new ai.djl.ndarray.index.NDIndex("0, 0, 0, 0"), pixel);
            }
            return new NDList(images, scope.create(new long[] {0, 2}));
        };
    }

    @Test
    void anOverflowingGradientSkipsTheStepAndHalvesTheScale() {
        double scale = Math.pow(2, 40); // the logits' gradient (scale x (p - y)) overflows float16
        try (TrainStep step = fp16(new LossScaler(scale, 2000))) {
            byte[] weights = step.replicas().masterState().parameters().toByteArray();
            byte[] ema = step.ema().model().state().get("classifier.fc.weight").toByteArray();
            TrainStep.Result r = step.train(batch(0), 0.002);
            assertTrue(Double.isFinite(r.loss()), "the loss itself is finite: " + r.loss());
            assertTrue(r.updated(), "the window closed");
            assertEquals(0, step.optimizer().steps(), "AdamW did not step");
            assertArrayEquals(weights, step.replicas().masterState().parameters().toByteArray(), "weights unchanged");
            assertArrayEquals(ema, step.ema().model().state().get("classifier.fc.weight").toByteArray(),
                    "EMA unchanged");
            assertEquals(scale / 2, step.lossScaler().scale());
            assertEquals(1, step.lossScaler().skippedSteps());
        }
    }

    @Test
    void theScaleHalvesUntilTheGradientFitsThenTheFloat32MasterWeightsMove() {
        double initial = 65536;
        try (TrainStep step = fp16(new LossScaler(initial, 2000))) {
            NDArray master = step.replicas().masterState().parameters();
            assertEquals(DataType.FLOAT32, master.getDataType());
            byte[] before = master.toByteArray();
            int skipped = 0;
            while (step.optimizer().steps() == 0) {
                assertTrue(skipped < 17, "the scale has fallen to 1 and the gradient still does not fit");
                step.train(batch(0), 0.002);
                if (step.optimizer().steps() == 0) {
                    skipped++;
                    assertArrayEquals(before, master.toByteArray(), "a skipped step leaves the weights");
                }
            }
            assertEquals(initial / Math.pow(2, skipped), step.lossScaler().scale());
            assertEquals(skipped, step.lossScaler().skippedSteps());
            assertFalse(java.util.Arrays.equals(before, master.toByteArray()), "weights moved");
        }
    }

    @Test
    @Tag("slow")
    void aNonFiniteLossIsASkippedStepUntilTheLimitInARow() {
        try (TrainStep step = fp16(new LossScaler(256, 2000))) {
            byte[] weights = step.replicas().masterState().parameters().toByteArray();
            for (int i = 1; i < TrainStep.NON_FINITE_LOSS_LIMIT; i++) {
                TrainStep.Result r = step.train(batch(Float.NaN), 0.002);
                assertTrue(Double.isNaN(r.loss()) && r.images() == 0 && r.updated(), "step " + i + ": " + r);
            }
            assertEquals(0, step.optimizer().steps());
            assertArrayEquals(weights, step.replicas().masterState().parameters().toByteArray(), "weights unchanged");
            assertEquals(TrainStep.NON_FINITE_LOSS_LIMIT - 1, step.lossScaler().skippedSteps());
            NonFiniteLossException e = assertThrows(NonFiniteLossException.class,
                    () -> step.train(batch(Float.NaN), 0.002));
            assertTrue(e.getMessage().contains(TrainStep.NON_FINITE_LOSS_LIMIT + " steps in a row"), e.getMessage());
        }
    }

    @Test
    void underFloat32ANonFiniteLossStopsAtOnce() {
        try (TrainStep step = TrainStep.builder(List.of(Device.cpu()), MODEL).optSeed(3).build()) {
            assertThrows(NonFiniteLossException.class, () -> step.train(batch(Float.NaN), 0.002));
            assertEquals(null, step.lossScaler());
        }
    }

    /**
     * A finite loss whose backward overflowed (as {@code optim.lr=1e6} gives within a few steps):
     * under FP32 the run stops before the update, which would write inf into every weight.
     */
    @Test
    void underFloat32ANonFiniteGradientOfAFiniteLossStopsBeforeTheUpdate() {
        try (TrainStep step = TrainStep.builder(List.of(Device.cpu()), MODEL).optSeed(3).build();
                NDManager scope = NDManager.newBaseManager()) {
            byte[] weights = step.replicas().masterState().parameters().toByteArray();
            assertTrue(Double.isFinite(step.accumulate(batch(0)).loss()));
            step.replicas().masterState().gradient(scope).set(new ai.djl.ndarray.index.NDIndex("7"),
                    Float.POSITIVE_INFINITY);
            NonFiniteLossException e = assertThrows(NonFiniteLossException.class, () -> step.closeWindow(0.002));
            assertEquals("the gradient is not finite at step 0 (its loss was)", e.getMessage());
            assertEquals(0, step.optimizer().steps());
            assertArrayEquals(weights, step.replicas().masterState().parameters().toByteArray(), "weights unchanged");
            assertTrue(step.atUpdateBoundary());
            assertEquals(0, step.replicas().accumulatedImages(), "the window's gradients are dropped");
        }
    }
}
