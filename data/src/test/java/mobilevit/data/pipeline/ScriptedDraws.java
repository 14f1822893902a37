package mobilevit.data.pipeline;

import java.util.ArrayDeque;
import java.util.Deque;

/** Draws given in advance: each uniform() returns the next value as is, each integer() the next integer. */
final class ScriptedDraws implements RandomDraws {

    private final Deque<Double> uniforms = new ArrayDeque<>();
    private final Deque<Integer> integers = new ArrayDeque<>();

    ScriptedDraws uniforms(double... values) {
        for (double v : values) {
            uniforms.add(v);
        }
        return this;
    }

    ScriptedDraws integers(int... values) {
        for (int v : values) {
            integers.add(v);
        }
        return this;
    }

    @Override
    public double uniform(double lo, double hi) {
        if (uniforms.isEmpty()) {
            throw new AssertionError("no uniform draw left");
        }
        return uniforms.poll();
    }

    @Override
    public int integer(int lo, int hi) {
        if (integers.isEmpty()) {
            throw new AssertionError("no integer draw left");
        }
        int v = integers.poll();
        if (v < lo || v > hi) {
            throw new AssertionError(v + " outside [" + lo + ", " + hi + "]");
        }
        return v;
    }

    boolean exhausted() {
        return uniforms.isEmpty() && integers.isEmpty();
    }
}
