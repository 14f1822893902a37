package mobilevit.trainer.checkpoint;

import java.util.List;
import java.util.Optional;

/** Compares two lists of class names (label order), naming the first label where they part. */
public final class ClassNames {

    private ClassNames() {}

    /**
     * The first difference, e.g. {@code class 3 is 'dog' in the checkpoint and 'dogs' in data/train},
     * or empty when the lists are equal.
     */
    public static Optional<String> firstDifference(List<String> a, String aName, List<String> b, String bName) {
        for (int c = 0; c < Math.max(a.size(), b.size()); c++) {
            String x = c < a.size() ? a.get(c) : null;
            String y = c < b.size() ? b.get(c) : null;
            if (x == null || !x.equals(y)) {
                return Optional.of("class " + c + " is " + shown(x) + " in " + aName + " and " + shown(y) + " in "
                        + bName);
            }
        }
        return Optional.empty();
    }

    private static String shown(String name) {
        return name == null ? "absent" : "'" + name + "'";
    }
}
