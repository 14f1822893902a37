package mobilevit.data.codec;

import java.nio.ByteBuffer;

/**
 * Whether a JPEG may carry an EXIF orientation that OpenCV would apply while decoding. OpenCV reads
 * the first APP1 segment; only when that is absent, or is EXIF whose first IFD has no orientation
 * tag or orientation 1, is the picture certainly decoded as stored. Anything else (a rotation, a
 * damaged or unusual EXIF block, an APP1 that is not EXIF) is left to OpenCV itself.
 */
final class ExifOrientation {

    private static final int APP1 = 0xE1;
    private static final int ORIENTATION_TAG = 0x0112;
    private static final int TYPE_SHORT = 3;

    private ExifOrientation() {}

    /** True when the JPEG in {@code b[0, b.limit())} certainly decodes without a rotation or mirror. */
    static boolean upright(ByteBuffer b) {
        int p = JpegSegments.find(b, marker -> marker == APP1);
        if (p == JpegSegments.ABSENT) {
            return true; // no APP1 before the image data
        }
        return p >= 0 && exifUpright(b, p + 4, Math.min(b.limit(), p + 2 + JpegSegments.length(b, p)));
    }

    /** The APP1 payload [from, to): EXIF whose first IFD says orientation 1 or nothing. */
    private static boolean exifUpright(ByteBuffer b, int from, int to) {
        int tiff = from + 6;
        if (tiff + 8 > to || u32(b, from, false) != 0x45786966L || u16(b, from + 4, false) != 0) { // "Exif\0\0"
            return false;
        }
        boolean little;
        if (u16(b, tiff, false) == 0x4949) {
            little = true;
        } else if (u16(b, tiff, false) == 0x4D4D) {
            little = false;
        } else {
            return false;
        }
        if (u16(b, tiff + 2, little) != 42) {
            return false;
        }
        long ifd = tiff + u32(b, tiff + 4, little);
        if (ifd + 2 > to) {
            return false;
        }
        int entries = u16(b, (int) ifd, little);
        if (ifd + 2 + 12L * entries > to) {
            return false;
        }
        for (int i = 0; i < entries; i++) {
            int e = (int) ifd + 2 + 12 * i;
            if (u16(b, e, little) == ORIENTATION_TAG) {
                return u16(b, e + 2, little) == TYPE_SHORT && u32(b, e + 4, little) == 1
                        && u16(b, e + 8, little) == 1;
            }
        }
        return true;
    }

    private static int u8(ByteBuffer b, int at) {
        return b.get(at) & 0xFF;
    }

    private static int u16(ByteBuffer b, int at, boolean little) {
        return little ? u8(b, at) | u8(b, at + 1) << 8 : u8(b, at) << 8 | u8(b, at + 1);
    }

    private static long u32(ByteBuffer b, int at, boolean little) {
        long lo = u16(b, little ? at : at + 2, little);
        long hi = u16(b, little ? at + 2 : at, little);
        return hi << 16 | lo;
    }
}
