package mobilevit.data.codec;

import java.nio.ByteBuffer;

/**
 * The most pixels an image may claim, checked in its header before any pixel memory is allocated
 * or anything is decoded: a decompression bomb (a 1 MB PNG of 20000x20000 zeros, a JPEG whose frame
 * header claims 65000x65000) is then an unreadable image instead of gigabytes of memory or an
 * overflowing size. The sizes of JPEGs and PNGs are read from their headers; other formats keep
 * OpenCV's own bound (2^30 pixels).
 */
public record PixelLimit(long maxPixels) {

    /** PIL's {@code MAX_IMAGE_PIXELS} (1024 * 1024 * 1024 / 4 / 3). */
    public static final long DEFAULT_MAX_PIXELS = 89_478_485;
    /** The largest limit: an image's 3 bytes a pixel must fit one Java buffer, whose size is an int. */
    public static final long LARGEST = Integer.MAX_VALUE / 3;
    /** The limit where no configuration gives one: {@code eval}, {@code predict}, {@code transcode}. */
    public static final PixelLimit DEFAULT = new PixelLimit(DEFAULT_MAX_PIXELS);

    public PixelLimit {
        if (maxPixels < 1 || maxPixels > LARGEST) {
            throw new IllegalArgumentException("the pixel limit must be in [1, " + LARGEST + "], got " + maxPixels);
        }
    }

    /**
     * Refuses {@code encoded[0, limit)} when it is a JPEG or PNG that claims more than the limit, or
     * whose header does not say its size ({@link ImageDecoding#claimedSize}).
     */
    void check(ByteBuffer encoded) throws UnreadableImageException {
        int[] size = ImageDecoding.claimedSize(encoded);
        if (size != null) {
            check(size[0], size[1]);
        }
    }

    /** Refuses an image of {@code height} x {@code width} pixels when that is more than the limit. */
    void check(int height, int width) throws UnreadableImageException {
        if ((long) height * width > maxPixels) {
            throw new UnreadableImageException("claims " + width + "x" + height + " pixels, more than the limit of "
                    + maxPixels + " (data.max_image_pixels)");
        }
    }
}
