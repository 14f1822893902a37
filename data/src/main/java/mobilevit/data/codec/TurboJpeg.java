package mobilevit.data.codec;

import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Pointer;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.HashSet;
import java.util.Set;

/**
 * libjpeg-turbo's TurboJPEG C API (the 2.x functions of {@code libturbojpeg.so.0}, Debian/Ubuntu
 * package {@code libturbojpeg0}) through JNA direct mapping. Every pointer travels as a {@code long}
 * address (of a direct buffer or a decompressor handle), so a call allocates nothing.
 *
 * <p>Decoding uses the library's defaults, which are libjpeg's: the accurate integer IDCT and fancy
 * (smooth) chroma upsampling. OpenCV's bundled libjpeg-turbo decodes with the same defaults, so the
 * two give the same pixels; only libjpeg-turbo's SIMD code, which OpenCV's build lacks, differs.
 */
final class TurboJpeg {

    /** {@code TJCS_CMYK} and {@code TJCS_YCCK}: 4-component JPEGs, which OpenCV converts its own way. */
    static final int COLORSPACE_CMYK = 3;
    static final int COLORSPACE_YCCK = 4;
    /** {@code TJPF_BGR}: OpenCV's channel order. */
    private static final int PIXEL_FORMAT_BGR = 1;
    private static final String LIBRARY = "libturbojpeg.so.0";
    private static final Logger LOG = LoggerFactory.getLogger(TurboJpeg.class);

    private TurboJpeg() {}

    private static final class Holder {
        static final boolean LOADED = load();
        static final Set<Integer> REDUCTIONS = LOADED ? reductions() : Set.of();
    }

    /** Whether the library is installed and bound; the first call logs which decoder JPEGs get. */
    static boolean available() {
        return Holder.LOADED;
    }

    /**
     * Whether the library decodes at {@code 1/reduction} of the size in the DCT domain (it lists 1/2,
     * 1/4 and 1/8 among its scaling factors in every release).
     */
    static boolean scales(int reduction) {
        return Holder.REDUCTIONS.contains(reduction);
    }

    private static boolean load() {
        try {
            Native.register(TurboJpeg.class, NativeLibrary.getInstance(LIBRARY));
            LOG.debug("decoding JPEGs with libjpeg-turbo ({})", LIBRARY);
            return true;
        } catch (UnsatisfiedLinkError e) {
            LOG.warn("{} not found, decoding JPEGs with OpenCV instead (about half as fast); on Debian or Ubuntu "
                    + "install it with: apt-get install libturbojpeg0", LIBRARY);
            return false;
        }
    }

    /** The reductions 1/n (scaling factors with numerator 1) that the library offers. */
    private static Set<Integer> reductions() {
        ByteBuffer count = ByteBuffer.allocateDirect(4).order(ByteOrder.nativeOrder());
        Pointer factors = tjGetScalingFactors(DirectBuffers.address(count));
        if (factors == null) {
            throw new IllegalStateException("tjGetScalingFactors failed: " + tjGetErrorStr2(0));
        }
        Set<Integer> out = new HashSet<>();
        for (int i = 0; i < count.getInt(0); i++) {
            if (factors.getInt(8L * i) == 1) {
                out.add(factors.getInt(8L * i + 4));
            }
        }
        return Set.copyOf(out);
    }

    /** A decompressor handle; 0 when the library could not make one. */
    static long newDecompressor() {
        return tjInitDecompress();
    }

    static void destroy(long handle) {
        tjDestroy(handle);
    }

    /**
     * Reads the frame header of the JPEG at {@code jpeg} (length bytes) into {@code out}: width,
     * height, chroma subsampling and colour space as four ints. False when it is not a readable JPEG.
     */
    static boolean header(long handle, long jpeg, int length, long out) {
        return tjDecompressHeader3(handle, jpeg, length, out, out + 4, out + 8, out + 12) == 0;
    }

    /**
     * Decodes the JPEG at {@code jpeg} to BGR pixels at {@code dst} (width * 3 bytes a row), scaled
     * to width x height, which must be one of the library's scaled sizes. False on any error or
     * warning (a damaged file).
     */
    static boolean decodeBgr(long handle, long jpeg, int length, long dst, int width, int height) {
        return tjDecompress2(handle, jpeg, length, dst, width, 3 * width, height, PIXEL_FORMAT_BGR, 0) == 0;
    }

    // tjhandle tjInitDecompress(void)
    private static native long tjInitDecompress();

    // int tjDestroy(tjhandle handle)
    private static native int tjDestroy(long handle);

    // int tjDecompressHeader3(tjhandle, const unsigned char *jpegBuf, unsigned long jpegSize,
    //                         int *width, int *height, int *jpegSubsamp, int *jpegColorspace)
    // (unsigned long is 64 bits on Linux x86-64, as a Java long)
    private static native int tjDecompressHeader3(long handle, long jpegBuf, long jpegSize, long width, long height,
                                                  long subsampling, long colorspace);

    // int tjDecompress2(tjhandle, const unsigned char *jpegBuf, unsigned long jpegSize, unsigned char *dstBuf,
    //                   int width, int pitch, int height, int pixelFormat, int flags)
    private static native int tjDecompress2(long handle, long jpegBuf, long jpegSize, long dstBuf, int width,
                                            int pitch, int height, int pixelFormat, int flags);

    // tjscalingfactor *tjGetScalingFactors(int *numScalingFactors): an array of {int num; int denom;}
    private static native Pointer tjGetScalingFactors(long numScalingFactors);

    // char *tjGetErrorStr2(tjhandle handle)
    private static native String tjGetErrorStr2(long handle);
}
