package mobilevit.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;

/** Element-wise comparisons against reference tensors, and access to the copied fixtures. */
public final class TensorAssert {

    private TensorAssert() {}

    /** The project's fixtures folder (copied from ../shared/fixtures). */
    public static Path fixture(String relative) {
        String dir = System.getProperty("fixtures.dir");
        Path root = dir != null ? Path.of(dir) : Path.of("..", "fixtures");
        Path p = root.resolve(relative);
        if (!Files.exists(p)) {
            fail("fixture missing: " + p.toAbsolutePath());
        }
        return p;
    }

    /** Reads a .safetensors fixture into {@code manager}. */
    public static NDList read(NDManager manager, String relative) {
        try (InputStream in = Files.newInputStream(fixture(relative))) {
            return NDList.decode(manager, in);
        } catch (IOException e) {
            throw new AssertionError("cannot read fixture " + relative, e);
        }
    }

    public static NDArray npy(NDManager manager, String relative) {
        try (InputStream in = Files.newInputStream(fixture(relative))) {
            return Npy.read(manager, in);
        } catch (IOException e) {
            throw new AssertionError("cannot read fixture " + relative, e);
        }
    }

    /**
     * Asserts |actual - expected| <= atol + rtol * |expected| everywhere (and equal shapes);
     * the message gives the worst element and its ratio to the tolerance.
     *
     * @return the worst ratio of error to tolerance (below 1 when it passes)
     */
    public static double assertClose(String what, NDArray actual, NDArray expected, double atol, double rtol) {
        assertEquals(expected.getShape(), actual.getShape(), what + ": shape");
        double[] a = actual.toType(DataType.FLOAT64, false).toDoubleArray();
        double[] b = expected.toType(DataType.FLOAT64, false).toDoubleArray();
        return assertClose(what, a, b, atol, rtol);
    }

    public static double assertClose(String what, double[] a, double[] b, double atol, double rtol) {
        assertEquals(b.length, a.length, what + ": length");
        double worst = 0;
        int at = -1;
        double maxAbs = 0;
        for (int i = 0; i < a.length; i++) {
            double err = Math.abs(a[i] - b[i]);
            double ratio = err / (atol + rtol * Math.abs(b[i]));
            if (!(ratio <= worst)) { // NaN counts as worst
                worst = Double.isNaN(ratio) ? Double.POSITIVE_INFINITY : ratio;
                at = i;
            }
            maxAbs = Math.max(maxAbs, err);
        }
        if (worst > 1) {
            fail(String.format("%s: |a-b| > %.1e + %.1e*|b| at flat index %d: actual %.8g, expected %.8g"
                    + " (ratio %.3g, max |a-b| %.3g)", what, atol, rtol, at, a[at], b[at], worst, maxAbs));
        }
        return worst;
    }
}
