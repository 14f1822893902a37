package mobilevit.data.codec;

import java.nio.ByteBuffer;
import java.util.function.IntPredicate;

/**
 * The marker segments of a JPEG's header, walked from just after its start-of-image marker to the
 * image data, without decoding anything.
 */
final class JpegSegments {

    /** The scan (or the end of the image) came before any wanted segment. */
    static final int ABSENT = -1;
    /** The bytes stop, or are not marker segments, before the scan. */
    static final int MALFORMED = -2;

    private static final int START_OF_SCAN = 0xDA;
    private static final int END_OF_IMAGE = 0xD9;

    private JpegSegments() {}

    /**
     * The offset (of its 0xFF byte) of the first segment in {@code b[2, b.limit())} whose marker
     * {@code wanted} accepts, with its two length bytes in range; {@link #ABSENT} or {@link #MALFORMED}
     * otherwise.
     */
    static int find(ByteBuffer b, IntPredicate wanted) {
        int end = b.limit();
        int p = 2;
        while (p + 3 < end) {
            if (u8(b, p) != 0xFF) {
                return MALFORMED;
            }
            int marker = u8(b, p + 1);
            if (marker == 0xFF) { // fill byte
                p++;
                continue;
            }
            if (marker == 0x01 || marker >= 0xD0 && marker <= 0xD7) { // no length field
                p += 2;
                continue;
            }
            if (marker == START_OF_SCAN || marker == END_OF_IMAGE) {
                return ABSENT;
            }
            if (wanted.test(marker)) {
                return p;
            }
            p += 2 + length(b, p);
        }
        return MALFORMED;
    }

    /** The length field of the segment at {@code p} (it counts itself, not the marker). */
    static int length(ByteBuffer b, int p) {
        return u8(b, p + 2) << 8 | u8(b, p + 3);
    }

    private static int u8(ByteBuffer b, int at) {
        return b.get(at) & 0xFF;
    }
}
