package mobilevit.evaluation;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;

import java.util.List;

/** Top-1 and top-5 counts over samples seen exactly once, overall and per class. */
public final class Accuracy {

    private final int classes;
    private final long[] seen;
    private final long[] top1;
    private final long[] top5;

    public Accuracy(int classes) {
        this.classes = classes;
        seen = new long[classes];
        top1 = new long[classes];
        top5 = new long[classes];
    }

    /**
     * Adds a batch: logits [n, C] and class labels [n] (any integer type).
     *
     * @throws IllegalArgumentException if a label is outside [0, C)
     */
    public void add(NDArray logits, NDArray labels) {
        int k = (int) Math.min(5, logits.getShape().get(1));
        NDList top = logits.topK(k, 1, true, true);
        long[] best = top.get(1).toType(DataType.INT64, false).toLongArray();
        long[] y = labels.toType(DataType.INT64, false).toLongArray();
        for (int i = 0; i < y.length; i++) {
            int label = (int) y[i];
            if (label < 0 || label >= classes) {
                throw new IllegalArgumentException("label " + y[i] + " outside the model's " + classes + " classes");
            }
            seen[label]++;
            for (int j = 0; j < k; j++) {
                if (best[i * k + j] == label) {
                    top5[label]++;
                    if (j == 0) {
                        top1[label]++;
                    }
                    break;
                }
            }
        }
        top.close();
    }

    public long count() {
        long n = 0;
        for (long s : seen) {
            n += s;
        }
        return n;
    }

    /** Top-1 accuracy in percent (0 when nothing was seen). */
    public double top1() {
        return percent(sum(top1), count());
    }

    /** Top-5 accuracy in percent (0 when nothing was seen). */
    public double top5() {
        return percent(sum(top5), count());
    }

    private static long sum(long[] a) {
        long n = 0;
        for (long v : a) {
            n += v;
        }
        return n;
    }

    private static double percent(long hits, long n) {
        return n == 0 ? 0 : 100.0 * hits / n;
    }

    /** Overall and per-class numbers as JSON; class names from {@code classNames} when given. */
    public JsonObject toJson(List<String> classNames) {
        JsonObject o = new JsonObject();
        o.addProperty("images", count());
        o.addProperty("top1", top1());
        o.addProperty("top5", top5());
        JsonArray perClass = new JsonArray();
        for (int c = 0; c < classes; c++) {
            if (seen[c] == 0) {
                continue;
            }
            JsonObject e = new JsonObject();
            e.addProperty("class", c);
            if (classNames != null && c < classNames.size()) {
                e.addProperty("name", classNames.get(c));
            }
            e.addProperty("images", seen[c]);
            e.addProperty("top1", percent(top1[c], seen[c]));
            e.addProperty("top5", percent(top5[c], seen[c]));
            perClass.add(e);
        }
        o.add("per_class", perClass);
        return o;
    }
}
