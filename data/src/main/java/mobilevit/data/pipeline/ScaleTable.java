package mobilevit.data.pipeline;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.TreeSet;

/**
 * The (height, width, batch per replica) table of CVNets v0.1's variable batch sampler
 * ({@code data/sampler/utils.py::_image_batch_pairs}): {@code numScales} sizes evenly spaced
 * between the minimum and maximum crop plus the base crop, each rounded with make_divisible, and
 * a batch that keeps the pixels per batch near the base's (never below the base batch), rounded
 * to a multiple of the number of replicas.
 */
public final class ScaleTable {

    /**
     * The sampler's settings: the crop the base batch refers to, the smallest and largest crops,
     * the number of sizes between them, the divisor of the sizes, the batch per replica at the
     * base crop and the number of replicas (CVNets' {@code n_gpus}).
     */
    public record Params(int baseHeight, int baseWidth, int minHeight, int minWidth, int maxHeight, int maxWidth,
                         int numScales, int divisor, int baseBatch, int replicas) {

        public Params {
            if (baseHeight <= 0 || baseWidth <= 0 || minHeight <= 0 || minWidth <= 0 || maxHeight < minHeight
                    || maxWidth < minWidth || numScales <= 0 || divisor <= 0 || baseBatch <= 0 || replicas <= 0) {
                throw new IllegalArgumentException("invalid sampler settings " + this);
            }
        }

        /** Square crops (the configuration's sampler.* keys). */
        public static Params square(int baseSize, int minSize, int maxSize, int numScales, int divisor,
                                    int baseBatch, int replicas) {
            return new Params(baseSize, baseSize, minSize, minSize, maxSize, maxSize, numScales, divisor,
                    baseBatch, replicas);
        }

        /** The paper's settings for a given batch per replica at 256 and number of replicas. */
        public static Params paper(int baseBatch, int replicas) {
            return square(256, 160, 320, 5, 32, baseBatch, replicas);
        }
    }

    private ScaleTable() {}

    /** The table, sorted by height, width, then batch. */
    public static List<Scale> of(Params p) {
        List<Double> heights = dims(p.minHeight(), p.maxHeight(), p.numScales(), p.baseHeight());
        List<Double> widths = dims(p.minWidth(), p.maxWidth(), p.numScales(), p.baseWidth());
        double elements = (double) p.baseHeight() * p.baseWidth() * p.baseBatch();
        TreeSet<Scale> table = new TreeSet<>(Comparator.comparingInt(Scale::height)
                .thenComparingInt(Scale::width).thenComparingInt(Scale::batch));
        for (int i = 0; i < Math.min(heights.size(), widths.size()); i++) { // Python's zip
            int h = makeDivisible(heights.get(i), p.divisor());
            int w = makeDivisible(widths.get(i), p.divisor());
            int batch = makeDivisible(Math.max(p.baseBatch(), roundedDown(elements / ((double) h * w))), p.replicas());
            table.add(new Scale(h, w, batch));
        }
        return List.copyOf(table);
    }

    /** CVNets' make_divisible(v, d) with its default minimum d. */
    public static int makeDivisible(double v, int divisor) {
        return makeDivisible(v, divisor, divisor);
    }

    /** CVNets' make_divisible: max(min, int(v + d/2) // d * d), plus d if that loses over 10 %. */
    public static int makeDivisible(double v, int divisor, int minValue) {
        int value = Math.max(minValue, (int) (v + divisor / 2.0) / divisor * divisor);
        if (value < 0.9 * v) {
            value += divisor;
        }
        return value;
    }

    /** np.linspace(min, max, n) and the base size appended when not among them. */
    private static List<Double> dims(int min, int max, int n, int base) {
        List<Double> dims = new ArrayList<>();
        double step = n > 1 ? (double) (max - min) / (n - 1) : 0;
        for (int i = 0; i < n; i++) {
            dims.add(i == n - 1 && n > 1 ? max : i * step + min);
        }
        if (!dims.contains((double) base)) {
            dims.add((double) base);
        }
        return dims;
    }

    /** Python's int(round(x, 2)): round to 2 decimals (the exact binary value, ties to even), then truncate. */
    private static int roundedDown(double x) {
        return new BigDecimal(x).setScale(2, RoundingMode.HALF_EVEN).intValue();
    }
}
