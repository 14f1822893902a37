package mobilevit.trainer;

import mobilevit.data.Interpolation;
import mobilevit.data.RandomResizedCrop;

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
        RandomResizedCrop.Variant randomCrop) {}
