package mobilevit.data.pipeline;

import mobilevit.core.Choice;

/**
 * The crop box of RandomResizedCrop: up to 10 tries of a random area fraction and a log-uniform
 * aspect ratio, then a centre-crop fallback with the ratio clamped. Two variants whose draws and
 * rounding differ (both replay {@code fixtures/math/rrc_cvnets_v01.json} / {@code rrc.json} exactly).
 */
public final class RandomResizedCrop {

    /** Which implementation's arithmetic to follow. */
    public enum Variant implements Choice {
        /**
         * CVNets v0.1 {@code data/transforms/image.py}: the paper's crop. Double arithmetic, ratio
         * bounds rounded to (0.75, 1.333) in its constructor, also in the fallback.
         */
        CVNETS_V01("cvnets", 0.75, 1.333),
        /**
         * torchvision's {@code RandomResizedCrop.get_params}: ratio (3/4, 4/3), the draws and the
         * log-ratio bounds are float32, and so is the exponential.
         */
        TORCHVISION("torchvision", 3.0 / 4.0, 4.0 / 3.0);

        private final String id;
        final double minRatio;
        final double maxRatio;

        Variant(String id, double minRatio, double maxRatio) {
            this.id = id;
            this.minRatio = minRatio;
            this.maxRatio = maxRatio;
        }

        /** The configuration name: {@code cvnets} or {@code torchvision}. */
        @Override
        public String id() {
            return id;
        }

        public static Variant parse(String id) {
            return Choice.parse(Variant.class, id, t -> "unknown RandomResizedCrop variant '" + t + "' (expected "
                    + Choice.alternatives(Variant.class) + ")");
        }
    }

    static final double MIN_AREA = 0.08;
    static final double MAX_AREA = 1.0;
    private static final int TRIES = 10;

    private final Variant variant;

    public RandomResizedCrop(Variant variant) {
        this.variant = variant;
    }

    public Variant variant() {
        return variant;
    }

    /** The crop of an image of the given size; consumes two draws per try and two for the offsets. */
    public CropBox params(int height, int width, RandomDraws draws) {
        double area = (double) height * width;
        boolean f32 = variant == Variant.TORCHVISION;
        double logLo = f32 ? (float) StrictMath.log((float) variant.minRatio) : StrictMath.log(variant.minRatio);
        double logHi = f32 ? (float) StrictMath.log((float) variant.maxRatio) : StrictMath.log(variant.maxRatio);
        for (int attempt = 0; attempt < TRIES; attempt++) {
            double areaFraction = draws.uniform(MIN_AREA, MAX_AREA);
            double logRatio = draws.uniform(logLo, logHi);
            double ratio;
            if (f32) {
                areaFraction = (float) areaFraction;
                ratio = (float) StrictMath.exp((float) logRatio);
            } else {
                ratio = StrictMath.exp(logRatio);
            }
            double target = area * areaFraction;
            // Python's int(round(x)): half to even.
            int w = (int) Math.rint(Math.sqrt(target * ratio));
            int h = (int) Math.rint(Math.sqrt(target / ratio));
            if (w > 0 && w <= width && h > 0 && h <= height) {
                int top = draws.integer(0, height - h);
                int left = draws.integer(0, width - w);
                return new CropBox(top, left, h, w);
            }
        }
        return centreFallback(height, width);
    }

    private CropBox centreFallback(int height, int width) {
        double inRatio = (double) width / height;
        int w;
        int h;
        if (inRatio < variant.minRatio) {
            w = width;
            h = (int) Math.rint(w / variant.minRatio);
        } else if (inRatio > variant.maxRatio) {
            h = height;
            w = (int) Math.rint(h * variant.maxRatio);
        } else {
            w = width;
            h = height;
        }
        return new CropBox((height - h) / 2, (width - w) / 2, h, w);
    }
}
