package mobilevit.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.util.PairList;

import org.junit.jupiter.api.Test;

class DropoutStreamTest {

    /** SplitMix64 from the stream's seed: finalise(42 + k * 0x9E3779B97F4A7C15) for k = 1, 2. */
    @Test
    void drawSeedsAreTheSplitMix64SequenceOfTheSeed() {
        DropoutStream s = new DropoutStream(42);
        assertEquals(-4767286540954276203L, s.nextDrawSeed());
        assertEquals(2949826092126892291L, s.nextDrawSeed());
    }

    @Test
    void masksAreAFunctionOfTheSeedAndTheDrawAlone() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray x = m.ones(new Shape(1000));
            PairList<String, Object> first = params(new DropoutStream(42));
            NDArray a1 = DropoutStream.apply(x, 0.5f, true, first);
            NDArray a2 = DropoutStream.apply(x, 0.5f, true, first);
            JniUtils.setSeed(123); // whatever PyTorch's generator holds in between
            PairList<String, Object> again = params(new DropoutStream(42));
            NDArray b1 = DropoutStream.apply(x, 0.5f, true, again);
            NDArray b2 = DropoutStream.apply(x, 0.5f, true, again);
            assertTrue(a1.contentEquals(b1));
            assertTrue(a2.contentEquals(b2));
            assertFalse(a1.contentEquals(a2), "each draw has its own mask");

            JniUtils.setSeed(-4767286540954276203L);
            NDArray torch = x.getNDArrayInternal().dropout(x, 0.5f, true).singletonOrThrow();
            assertTrue(torch.contentEquals(a1), "the first draw is PyTorch's dropout under the first draw seed");
        }
    }

    @Test
    void evaluationAndRateZeroLeaveTheInput() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray x = m.ones(new Shape(10));
            PairList<String, Object> p = params(new DropoutStream(1));
            assertSame(x, DropoutStream.apply(x, 0.5f, false, p));
            assertSame(x, DropoutStream.apply(x, 0f, true, p));
        }
    }

    private static PairList<String, Object> params(DropoutStream s) {
        PairList<String, Object> p = new PairList<>();
        p.add(DropoutStream.PARAM_KEY, s);
        return p;
    }
}
