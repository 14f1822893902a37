package mobilevit.data.codec;

import org.opencv.core.Mat;

import java.io.IOException;
import java.lang.ref.Cleaner;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;

/**
 * One thread's reusable native memory for preparing images: the file's bytes, the decoded pixels,
 * the resized crop and a TurboJPEG decompressor. The buffers grow to the largest image the thread
 * has seen and are then reused, so preparing an image allocates no pixel-sized memory. Freed when
 * the thread ends.
 */
public final class Workspace {

    private static final Cleaner CLEANER = Cleaner.create();
    private static final ThreadLocal<Workspace> CURRENT = ThreadLocal.withInitial(Workspace::new);

    private final NativeParts parts;
    private ByteBuffer encoded;
    private ByteBuffer pixels;

    private Workspace() {
        OpenCv.load();
        parts = new NativeParts();
        CLEANER.register(this, parts);
    }

    /** The calling thread's workspace. */
    public static Workspace current() {
        return CURRENT.get();
    }

    /**
     * The bytes of a file, in this workspace's buffer (position 0, limit the file size) until the
     * thread reads or copies the next one; any I/O problem makes the image unreadable.
     */
    public ByteBuffer read(Path file) throws UnreadableImageException {
        try (FileChannel channel = FileChannel.open(file)) {
            long size = channel.size();
            if (size > Integer.MAX_VALUE - 8) {
                throw new UnreadableImageException("cannot read: " + size + " bytes is too large for an image");
            }
            encoded = DirectBuffers.atLeast(encoded, (int) size);
            encoded.clear().limit((int) size);
            while (encoded.hasRemaining()) {
                if (channel.read(encoded) < 0) {
                    break; // the file shrank while read: the decoder sees it cut short
                }
            }
            return encoded.flip();
        } catch (IOException | OutOfMemoryError e) {
            throw new UnreadableImageException("cannot read: " + e, e);
        }
    }

    /** {@code bytes} in this workspace's buffer, as {@link #read} leaves a file. */
    public ByteBuffer copy(byte[] bytes) {
        encoded = DirectBuffers.atLeast(encoded, bytes.length);
        return encoded.clear().put(bytes).flip();
    }

    /** A buffer of at least {@code bytes} for decoded pixels; its contents last until the next call. */
    ByteBuffer pixels(int bytes) {
        pixels = DirectBuffers.atLeast(pixels, bytes);
        return pixels;
    }

    /** This thread's TurboJPEG decompressor, made on first use; 0 if the library cannot make one. */
    long decompressor() {
        if (parts.decompressor == 0) {
            parts.decompressor = TurboJpeg.newDecompressor();
        }
        return parts.decompressor;
    }

    /**
     * Destroys the decompressor after a failure: libjpeg-turbo 2.1 leaves a handle whose header
     * reading failed in a state where the next header read returns the previous image's size.
     */
    void discardDecompressor() {
        if (parts.decompressor != 0) {
            TurboJpeg.destroy(parts.decompressor);
            parts.decompressor = 0;
        }
    }

    /** 16 bytes of native-order scratch memory for results of native calls, and its address. */
    ByteBuffer scratch() {
        return parts.scratch;
    }

    long scratchAddress() {
        if (parts.scratchAddress == 0) {
            parts.scratchAddress = DirectBuffers.address(parts.scratch);
        }
        return parts.scratchAddress;
    }

    /** The image a crop is resized into (reallocated by OpenCV only when the output size changes). */
    public Mat resized() {
        return parts.resized;
    }

    /** What must be freed by hand when the workspace is gone; holds no reference to it. */
    private static final class NativeParts implements Runnable {
        final Mat resized = new Mat();
        final ByteBuffer scratch = ByteBuffer.allocateDirect(16).order(ByteOrder.nativeOrder());
        long scratchAddress;
        long decompressor;

        @Override
        public void run() {
            resized.release();
            if (decompressor != 0) {
                TurboJpeg.destroy(decompressor);
            }
        }
    }
}
