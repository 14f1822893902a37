package mobilevit.data;

/** Writes HWC BGR bytes as CHW float32 values x / 255 (channel order kept, as CVNets v0.1 does). */
final class ChwWriter {

    /** x / 255 in float32 for every byte value: what {@code float32 / 255.0} gives in NumPy. */
    private static final float[] SCALE = new float[256];

    static {
        for (int i = 0; i < 256; i++) {
            SCALE[i] = i / 255.0f;
        }
    }

    private ChwWriter() {}

    /**
     * Writes the window [top, top + outH) x [left, left + outW) of an h x w HWC image into
     * {@code dst[offset ...]} as 3 x outH x outW floats, mirrored left-right when {@code flip}.
     */
    static void write(byte[] hwc, int w, int top, int left, int outH, int outW, boolean flip, float[] dst, int offset) {
        int plane = outH * outW;
        for (int y = 0; y < outH; y++) {
            int row = ((top + y) * w + left) * 3;
            int o = offset + y * outW;
            for (int x = 0; x < outW; x++) {
                int p = row + 3 * (flip ? outW - 1 - x : x);
                dst[o + x] = SCALE[hwc[p] & 0xFF];
                dst[o + plane + x] = SCALE[hwc[p + 1] & 0xFF];
                dst[o + 2 * plane + x] = SCALE[hwc[p + 2] & 0xFF];
            }
        }
    }
}
