package mobilevit.data.codec;

import com.sun.jna.Native;
import com.sun.jna.Pointer;

import java.nio.ByteBuffer;

/** Native addresses and growth of direct buffers. */
final class DirectBuffers {

    private DirectBuffers() {}

    /** The native address of the first byte of a direct buffer (its position is ignored). */
    static long address(ByteBuffer direct) {
        if (!direct.isDirect()) {
            throw new IllegalArgumentException("expected a direct (off-heap) buffer");
        }
        return Pointer.nativeValue(Native.getDirectBufferPointer(direct));
    }

    /** {@code buffer} if it holds {@code bytes}, else a new direct buffer with room to grow by half. */
    static ByteBuffer atLeast(ByteBuffer buffer, int bytes) {
        if (buffer != null && buffer.capacity() >= bytes) {
            return buffer;
        }
        return ByteBuffer.allocateDirect((int) Math.min(Integer.MAX_VALUE - 8, bytes + (long) bytes / 2));
    }
}
