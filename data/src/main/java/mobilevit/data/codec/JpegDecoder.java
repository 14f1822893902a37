package mobilevit.data.codec;

/** Which library decodes JPEG files; both give the same pixels (PNGs and other formats always go to OpenCV). */
public enum JpegDecoder {
    /**
     * libjpeg-turbo's TurboJPEG API ({@code libturbojpeg.so.0}) with its SIMD code, for every JPEG
     * that it decodes exactly as OpenCV does: not CMYK/YCCK, no EXIF rotation, not damaged. The
     * others, and every JPEG when the library is not installed, are decoded by OpenCV.
     */
    TURBOJPEG,
    /** OpenCV's {@code imdecode} (its bundled libjpeg-turbo, built without SIMD), as CVNets v0.1 decoded. */
    OPENCV;

    /** {@link #TURBOJPEG} when {@code libturbojpeg.so.0} is installed, else {@link #OPENCV} (logged once). */
    public static JpegDecoder best() {
        return TurboJpeg.available() ? TURBOJPEG : OPENCV;
    }

    /**
     * Whether {@link #TURBOJPEG} decodes training crops by region (the training transform's
     * {@code REGION} decoding): libturbojpeg and the project's {@code libmobilevit_jpeg.so} load, and a
     * region decodes as a whole image does (the first call logs why not).
     */
    public static boolean decodesRegions() {
        return TurboJpeg.available() && JpegRegion.available();
    }
}
