package mobilevit.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;

import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/**
 * The attention backward reads only memory the graph owns. DJL's {@code mul(Number)} wraps its
 * number in a Java direct buffer that autograd keeps for the backward but Java frees once the
 * garbage collector runs; a collection between forward and backward, followed by other direct
 * allocations, then changed the gradients (the rare replica disagreement). Here the collection is
 * forced and the freed memory is overwritten on purpose: the gradients must not move.
 */
class AttentionBackwardTest {

    @Test
    void gradientsDoNotDependOnTheGarbageCollectorBetweenForwardAndBackward() throws Exception {
        try (NDManager m = NDManager.newBaseManager()) {
            MultiHeadAttention attention = new MultiHeadAttention(40, 2); // head_dim 20: scale not a power of 2
            attention.initialize(m, DataType.FLOAT64, new Shape(3, 5, 40));
            NDArray x = m.randomNormal(new Shape(3, 5, 40)).toType(DataType.FLOAT64, false);
            double[] direct = inputGradient(m, attention, x, false);
            for (int round = 0; round < 5; round++) {
                assertArrayEquals(direct, inputGradient(m, attention, x, true), "round " + round);
            }
        }
    }

    private static double[] inputGradient(NDManager m, MultiHeadAttention attention, NDArray input, boolean collect)
            throws InterruptedException {
        try (NDManager scope = m.newSubManager()) {
            NDArray x = input.duplicate();
            x.attach(scope);
            x.setRequiresGradient(true);
            Autograd.setEnabled(true);
            NDArray loss;
            try {
                NDArray out = attention.forward(new ParameterStore(scope, false), new NDList(x), true)
                        .singletonOrThrow();
                loss = out.mul(out).sum();
            } finally {
                Autograd.setEnabled(false);
            }
            List<ByteBuffer> reuse = new ArrayList<>();
            if (collect) {
                for (int i = 0; i < 50_000; i++) {
                    // garbage of the same size: the collector's cleaner frees enough of it that
                    // thread-caching allocators (jemalloc) hand the freed memory to other threads
                    ByteBuffer.allocateDirect(8);
                }
                for (int i = 0; i < 3; i++) {
                    System.gc();
                    Thread.sleep(50);
                }
                for (int i = 0; i < 20_000; i++) { // small direct buffers: candidates for the freed memory
                    ByteBuffer b = ByteBuffer.allocateDirect(8).order(ByteOrder.nativeOrder());
                    b.putDouble(0, 1e6);
                    reuse.add(b);
                }
            }
            Autograd.backward(loss, 1);
            return x.getGradient().toDoubleArray();
        }
    }
}
