package mobilevit.trainer.step;

import mobilevit.trainer.checkpoint.Checkpoint;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

import org.junit.jupiter.api.Test;

/** GradScaler's rules: unscale, skip on inf/NaN with backoff x0.5, growth x2 after N clean steps, state kept. */
class LossScalerTest {

    @Test
    void finiteGradientIsDividedByTheScale() {
        try (NDManager m = NDManager.newBaseManager()) {
            LossScaler s = new LossScaler(1024, 2000);
            NDArray g = m.create(new float[] {2048f, -512f, 3f});
            assertTrue(s.unscale(g));
            assertArrayEquals(new float[] {2f, -0.5f, 3f / 1024}, g.toFloatArray());
            assertEquals(1024, s.scale());
            assertEquals(0, s.skippedSteps());
        }
    }

    @Test
    void infOrNanInTheGradientSkipsTheStepAndHalvesTheScale() {
        try (NDManager m = NDManager.newBaseManager()) {
            LossScaler s = LossScaler.standard();
            assertEquals(65536, s.scale());
            assertFalse(s.unscale(m.create(new float[] {1f, Float.POSITIVE_INFINITY, 2f})));
            assertEquals(32768, s.scale());
            assertFalse(s.unscale(m.create(new float[] {Float.NaN, 1f})));
            assertEquals(16384, s.scale());
            assertEquals(2, s.skippedSteps());
        }
    }

    @Test
    void scaleDoublesAfterGrowthIntervalCleanStepsInARow() {
        try (NDManager m = NDManager.newBaseManager()) {
            LossScaler s = new LossScaler(8, 3);
            s.unscale(m.create(new float[] {1f}));
            s.unscale(m.create(new float[] {1f}));
            s.unscale(m.create(new float[] {Float.NaN})); // resets the count: 4
            for (int i = 0; i < 2; i++) {
                s.unscale(m.create(new float[] {1f}));
                assertEquals(4, s.scale(), "after " + (i + 1) + " clean steps");
            }
            s.unscale(m.create(new float[] {1f}));
            assertEquals(8, s.scale(), "third clean step in a row");
            for (int i = 0; i < 3; i++) {
                s.unscale(m.create(new float[] {1f}));
            }
            assertEquals(16, s.scale());
        }
    }

    @Test
    void nonFiniteLossesCountInARowAndBackOff() {
        try (NDManager m = NDManager.newBaseManager()) {
            LossScaler s = new LossScaler(8, 2000);
            assertEquals(1, s.skipNonFiniteLoss());
            assertEquals(2, s.skipNonFiniteLoss());
            assertEquals(2, s.scale());
            s.unscale(m.create(new float[] {1f}));
            assertEquals(1, s.skipNonFiniteLoss(), "a step with a finite loss ends the streak");
            assertEquals(3, s.skippedSteps());
        }
    }

    @Test
    void stateSurvivesACheckpoint() {
        try (NDManager m = NDManager.newBaseManager()) {
            LossScaler s = new LossScaler(64, 3);
            s.unscale(m.create(new float[] {Float.POSITIVE_INFINITY}));
            s.unscale(m.create(new float[] {1f}));
            s.unscale(m.create(new float[] {1f}));
            s.skipNonFiniteLoss();
            s.unscale(m.create(new float[] {1f}));
            s.unscale(m.create(new float[] {1f}));
            LossScaler resumed = new LossScaler(64, 3);
            resumed.restore(Checkpoint.GSON.fromJson(Checkpoint.GSON.toJson(state(s)), com.google.gson.JsonObject.class));
            assertEquals(state(s), state(resumed));
            for (LossScaler x : new LossScaler[] {s, resumed}) {
                x.unscale(m.create(new float[] {1f})); // the third clean step in a row: growth in both
            }
            assertEquals(32, resumed.scale());
            assertEquals(state(s), state(resumed));
        }
    }

    private static com.google.gson.JsonObject state(LossScaler s) {
        com.google.gson.JsonObject state = new com.google.gson.JsonObject();
        s.export(state);
        return state;
    }

    @Test
    void refusesADamagedState() {
        LossScaler s = LossScaler.standard();
        com.google.gson.JsonObject o = state(s);
        o.getAsJsonObject("loss_scaler").addProperty("scale", 0);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> s.restore(o));
        assertTrue(e.getMessage().contains("loss scale"), e.getMessage());
    }
}
