package mobilevit.trainer.step;


import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import org.junit.jupiter.api.Test;

class DropoutSeedsTest {

    /** Values the seeds had before they moved here: checkpoints written then resume with the same masks. */
    @Test
    void seedsAreTheOnesCheckpointsWereTrainedWith() {
        assertEquals(5811503221146980927L, DropoutSeeds.of(7, 1234, 3, 1));
        assertEquals(-4172344973030470306L, DropoutSeeds.of(0, 3, 1, 2));
    }

    @Test
    void stepReplicaAndMicroBatchEachChangeTheSeed() {
        long base = DropoutSeeds.of(7, 10, 2, 0);
        assertNotEquals(base, DropoutSeeds.of(8, 10, 2, 0));
        assertNotEquals(base, DropoutSeeds.of(7, 11, 2, 0));
        assertNotEquals(base, DropoutSeeds.of(7, 10, 3, 0));
        assertNotEquals(base, DropoutSeeds.of(7, 10, 2, 1));
    }
}
