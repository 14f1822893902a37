package mobilevit.trainer.config;

import mobilevit.data.codec.PixelLimit;
import mobilevit.data.pipeline.Interpolation;
import mobilevit.data.pipeline.RandomResizedCrop;

/** Section {@code data}: where the images are and how they are read. */
public record DataSection(
        @ConfigKey(byDefault = "null", doc = "folder with train/<class>/*.JPEG and val/<class>/*.JPEG (or --data)")
        String root,
        @ConfigKey(byDefault = "8", min = 1, doc = "decoding threads")
        int workers,
        @ConfigKey(byDefault = "4", min = 1, doc = "batches prepared ahead")
        int prefetch,
        @ConfigKey(byDefault = "bilinear", doc = "bilinear (OpenCV, as CVNets v0.1) or bilinear-antialias (PIL)")
        Interpolation interpolation,
        @ConfigKey(byDefault = "cvnets", doc = "cvnets (v0.1's RandomResizedCrop) or torchvision")
        RandomResizedCrop.Variant randomCrop,
        @ConfigKey(byDefault = "" + PixelLimit.DEFAULT_MAX_PIXELS, min = 1, max = PixelLimit.LARGEST,
                doc = "an image whose header claims more pixels is skipped (PIL's limit)")
        long maxImagePixels,
        @ConfigKey(byDefault = "false", doc = "resume a checkpoint even when the training classes differ from its own")
        boolean allowChangedData) {

    /** The bound on the pixels an image may claim ({@link #maxImagePixels}). */
    public PixelLimit pixelLimit() {
        return new PixelLimit(maxImagePixels);
    }
}
