package mobilevit.core;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** The values Java 18's {@code Math.ceilDiv} gives. */
class IntMathTest {

    @Test
    void ceilDivRoundsUp() {
        assertEquals(4, IntMath.ceilDiv(7, 2));
        assertEquals(4, IntMath.ceilDiv(8, 2));
        assertEquals(1, IntMath.ceilDiv(1, 8));
        assertEquals(0, IntMath.ceilDiv(0, 8));
        assertEquals(-3, IntMath.ceilDiv(-7, 2));
        assertEquals(1 << 30, IntMath.ceilDiv(Integer.MAX_VALUE, 2), "no overflow near the top");
        assertEquals(200L, IntMath.ceilDiv(320L * 5, 8));
        assertEquals(1L << 62, IntMath.ceilDiv(Long.MAX_VALUE, 2L), "no overflow near the top");
    }
}
