package mobilevit.data.codec;

import java.nio.ByteBuffer;
import java.util.Optional;

/**
 * Lossless re-encoding of a JPEG with a restart marker after every MCU ({@code jpeg_restarts.c}).
 * The coefficients are copied, not requantised, so every decoder gives the same pixels as for the
 * original; the Huffman tables are re-optimised, which about pays for the markers (500x375 photos
 * at quality 90: 77.1 KB before, 76.5 KB after). What it buys: a restart marker resets the entropy
 * decoder, so region decoding ({@link JpegDecoder#decodesRegions()}) of such a file reads only
 * the MCUs around the crop instead of every row down to the crop's last, in full width.
 */
public final class RestartMarkers {

    private static final int DEFINE_RESTART_INTERVAL = 0xDD;

    private RestartMarkers() {}

    /** Whether this build can re-encode (the same library as region decoding, {@link JpegDecoder#decodesRegions()}). */
    public static boolean available() {
        return JpegRegion.available();
    }

    /** Whether a JPEG has a restart marker after every MCU (a DRI segment of 1 before its first scan). */
    public static boolean present(byte[] jpeg) {
        ByteBuffer b = ByteBuffer.wrap(jpeg);
        int p = JpegSegments.find(b, marker -> marker == DEFINE_RESTART_INTERVAL);
        return p >= 0 && p + 5 < jpeg.length && JpegSegments.length(b, p) >= 4 && b.getShort(p + 4) == 1;
    }

    /**
     * The file re-encoded, or empty when it is left as it is: not a JPEG libjpeg reads without an
     * error or a warning (a damaged or truncated file keeps its damage where decoders see it), one
     * that claims more pixels than {@link PixelLimit#DEFAULT} (libjpeg would hold all the
     * coefficients it claims in memory), or {@link #available()} is false.
     */
    public static Optional<byte[]> add(byte[] jpeg) {
        if (!available() || jpeg.length < 4) {
            return Optional.empty();
        }
        ByteBuffer direct = Workspace.current().copy(jpeg);
        try {
            PixelLimit.DEFAULT.check(direct);
        } catch (UnreadableImageException e) {
            return Optional.empty();
        }
        return Optional.ofNullable(JpegRegion.addRestarts(DirectBuffers.address(direct), jpeg.length));
    }
}
