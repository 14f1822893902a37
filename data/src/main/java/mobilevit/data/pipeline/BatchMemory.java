package mobilevit.data.pipeline;

import java.nio.ByteBuffer;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The direct buffers of a loader's batches. {@link Batch#close()} hands a batch's buffers back and
 * the next batches reuse them, so a loader whose consumer closes its batches stops allocating native
 * memory once it runs; the buffers of batches never closed are freed by the garbage collector, as
 * any direct buffer's. Buffers are made as large as the largest request so far, so any of them fits
 * the batches of every scale.
 */
final class BatchMemory {

    private final int keep;
    private final ConcurrentLinkedDeque<ByteBuffer> free = new ConcurrentLinkedDeque<>();
    private final AtomicInteger kept = new AtomicInteger();
    private volatile int largest;

    /** Keeps at most {@code keep} buffers for reuse. */
    BatchMemory(int keep) {
        this.keep = keep;
    }

    /** A buffer of at least {@code bytes}, position 0 and limit {@code bytes}; its contents are undefined. */
    ByteBuffer take(int bytes) {
        largest = Math.max(largest, bytes);
        for (ByteBuffer b = free.poll(); b != null; b = free.poll()) {
            kept.decrementAndGet();
            if (b.capacity() >= bytes) {
                return b.clear().limit(bytes);
            }
        }
        return ByteBuffer.allocateDirect(largest).limit(bytes);
    }

    /** Takes a buffer back for reuse (or leaves it to the garbage collector when enough are kept). */
    void give(ByteBuffer buffer) {
        if (buffer.capacity() < largest) {
            return; // made before a larger batch came: too small for some batches
        }
        if (kept.incrementAndGet() <= keep) {
            free.push(buffer);
        } else {
            kept.decrementAndGet();
        }
    }
}
