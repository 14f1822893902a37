package mobilevit.core;

/** Integer arithmetic that Java 17's {@code Math} lacks. */
public final class IntMath {

    private IntMath() {}

    /** The smallest integer at least a / b: Java 18's {@code Math.ceilDiv}. */
    public static int ceilDiv(int a, int b) {
        return -Math.floorDiv(-a, b);
    }

    /** The smallest integer at least a / b: Java 18's {@code Math.ceilDiv}. */
    public static long ceilDiv(long a, long b) {
        return -Math.floorDiv(-a, b);
    }
}
