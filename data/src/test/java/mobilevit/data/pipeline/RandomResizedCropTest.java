package mobilevit.data.pipeline;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;

import mobilevit.data.Fixtures;

import org.apache.commons.math3.stat.inference.KolmogorovSmirnovTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.DoubleUnaryOperator;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RandomResizedCropTest {

    /** Replays a fixture case's recorded draws and checks the bounds each draw is asked with. */
    private static final class Replay implements RandomDraws {
        final List<double[]> uniforms = new ArrayList<>(); // value, expected lo, expected hi
        final List<int[]> integers = new ArrayList<>(); // value, inclusive hi
        int u;
        int n;
        double logLo;
        double logHi;

        @Override
        public double uniform(double lo, double hi) {
            double[] d = uniforms.get(u++);
            if (u % 2 == 1) {
                assertEquals(RandomResizedCrop.MIN_AREA, lo);
                assertEquals(RandomResizedCrop.MAX_AREA, hi);
            } else {
                logLo = lo;
                logHi = hi;
            }
            assertTrue(d[0] >= lo && d[0] <= hi, "recorded draw outside the bounds asked for");
            return d[0];
        }

        @Override
        public int integer(int lo, int hi) {
            int[] d = integers.get(n++);
            assertEquals(0, lo);
            assertEquals(d[1], hi, "upper bound of the offset draw");
            return d[0];
        }
    }

    @Test
    void replaysCvnetsV01Fixture() throws Exception {
        JsonObject f = Fixtures.json("math/rrc_cvnets_v01.json");
        int fallbacks = replay(f, RandomResizedCrop.Variant.CVNETS_V01, "_randint_inclusive_high", 0,
                new double[] {Math.log(0.75), Math.log(1.333)});
        assertEquals(17, fallbacks);
    }

    /** v0.1 rounds the ratio bounds to (0.75, 1.333), also in the fallback; torchvision keeps 3/4 and 4/3. */
    @Test
    void fallbackClampsTheRatio() {
        ScriptedDraws failing = new ScriptedDraws();
        for (int i = 0; i < 10; i++) {
            failing.uniforms(1.0, 0.0); // a square of the whole area never fits a 3000 x 60000 image
        }
        CropBox cvnets = new RandomResizedCrop(RandomResizedCrop.Variant.CVNETS_V01).params(3000, 60000, failing);
        assertEquals(new CropBox(0, (60000 - 3999) / 2, 3000, 3999), cvnets);
        failing = new ScriptedDraws();
        for (int i = 0; i < 10; i++) {
            failing.uniforms(1.0, 0.0);
        }
        CropBox torchvision = new RandomResizedCrop(RandomResizedCrop.Variant.TORCHVISION).params(60000, 3000, failing);
        assertEquals(new CropBox((60000 - 4000) / 2, 0, 4000, 3000), torchvision);
        assertTrue(failing.exhausted());
    }

    @Test
    void replaysTorchvisionFixture() throws Exception {
        JsonObject f = Fixtures.json("math/rrc.json");
        JsonArray bounds = f.getAsJsonArray("log_ratio_float32");
        int fallbacks = replay(f, RandomResizedCrop.Variant.TORCHVISION, "_randint_high", -1,
                new double[] {bounds.get(0).getAsDouble(), bounds.get(1).getAsDouble()});
        assertEquals(12, fallbacks);
    }

    private static int replay(JsonObject fixture, RandomResizedCrop.Variant variant, String highSuffix, int highShift,
                              double[] logBounds) {
        RandomResizedCrop crop = new RandomResizedCrop(variant);
        int fallbacks = 0;
        JsonArray cases = fixture.getAsJsonArray("cases");
        assertTrue(cases.size() >= 50);
        for (JsonElement e : cases) {
            JsonObject c = e.getAsJsonObject();
            Replay draws = new Replay();
            for (JsonElement t : c.getAsJsonArray("tries")) {
                JsonObject tr = t.getAsJsonObject();
                draws.uniforms.add(new double[] {tr.get("area_frac").getAsDouble()});
                draws.uniforms.add(new double[] {tr.get("log_ratio").getAsDouble()});
                if (tr.has("i")) {
                    draws.integers.add(new int[] {tr.get("i").getAsInt(), tr.get("i" + highSuffix).getAsInt() + highShift});
                    draws.integers.add(new int[] {tr.get("j").getAsInt(), tr.get("j" + highSuffix).getAsInt() + highShift});
                }
            }
            int h = c.get("height").getAsInt();
            int w = c.get("width").getAsInt();
            CropBox box = crop.params(h, w, draws);
            JsonArray r = c.getAsJsonArray("result_ijhw");
            String where = "case " + h + "x" + w + " " + c.getAsJsonArray("tries").size() + " tries";
            assertArrayEquals(new int[] {r.get(0).getAsInt(), r.get(1).getAsInt(), r.get(2).getAsInt(), r.get(3).getAsInt()},
                    new int[] {box.top(), box.left(), box.height(), box.width()}, where);
            assertEquals(draws.uniforms.size(), draws.u, "all recorded uniform draws used, " + where);
            assertEquals(draws.integers.size(), draws.n, "all recorded offset draws used, " + where);
            assertTrue(box.top() + box.height() <= h && box.left() + box.width() <= w);
            assertEquals(logBounds[0], draws.logLo, 1e-15, "lower log-ratio bound");
            assertEquals(logBounds[1], draws.logHi, 1e-15, "upper log-ratio bound");
            if (c.get("fallback").getAsBoolean()) {
                fallbacks++;
                assertEquals(0, draws.integers.size());
            }
        }
        return fallbacks;
    }

    /**
     * On a large square image a try is accepted when area * e^|log ratio| <= 1, so the accepted
     * (area fraction, log ratio) is uniform over that region: log ratio has density proportional to
     * e^-|l| - 0.08 and area fraction a density proportional to the length of the allowed log-ratio
     * interval. The crops' realised areas and log-ratios must follow those laws.
     */
    @ParameterizedTest
    @EnumSource(RandomResizedCrop.Variant.class)
    void cropAreasAndRatiosFollowTheFormula(RandomResizedCrop.Variant variant) {
        int side = 6000;
        int n = 20000;
        RandomResizedCrop crop = new RandomResizedCrop(variant);
        double[] areas = new double[n];
        double[] logRatios = new double[n];
        for (int k = 0; k < n; k++) {
            CropBox b = crop.params(side, side, RandomDraws.seeded(99, k));
            areas[k] = (double) b.height() * b.width() / ((double) side * side);
            logRatios[k] = Math.log((double) b.width() / b.height());
        }
        double l0 = Math.log(variant == RandomResizedCrop.Variant.CVNETS_V01 ? 0.75 : 3.0 / 4.0);
        double l1 = Math.log(variant == RandomResizedCrop.Variant.CVNETS_V01 ? 1.333 : 4.0 / 3.0);
        DoubleUnaryOperator ratioCdf = logRatioCdf(l0, l1);
        DoubleUnaryOperator areaCdf = areaCdf(l0, l1);
        assertTrue(pValue(logRatios, ratioCdf) > 1e-3, "log-ratios do not follow the formula");
        assertTrue(pValue(areas, areaCdf) > 1e-3, "areas do not follow the formula");

        // The same test rejects a crop that draws the ratio uniformly (as DJL's does).
        SplittableRandom r = new SplittableRandom(5);
        double[] wrong = new double[n];
        for (int k = 0; k < n; ) {
            double a = r.nextDouble(0.08, 1.0);
            double ratio = r.nextDouble(Math.exp(l0), Math.exp(l1));
            if (a * ratio <= 1 && a / ratio <= 1) {
                wrong[k++] = Math.log(ratio);
            }
        }
        assertTrue(pValue(wrong, ratioCdf) < 1e-6, "the test cannot tell a uniform ratio apart");
    }

    private static double pValue(double[] sample, DoubleUnaryOperator cdf) {
        double[] x = sample.clone();
        Arrays.sort(x);
        double d = 0;
        for (int i = 0; i < x.length; i++) {
            double f = cdf.applyAsDouble(x[i]);
            d = Math.max(d, Math.max(f - (double) i / x.length, (double) (i + 1) / x.length - f));
        }
        return 1 - new KolmogorovSmirnovTest().cdf(d, x.length);
    }

    /** CDF of the accepted log ratio: density e^-|l| - 0.08 on [l0, l1]. */
    private static DoubleUnaryOperator logRatioCdf(double l0, double l1) {
        DoubleUnaryOperator g = t -> t <= 0 ? Math.exp(t) : 2 - Math.exp(-t); // antiderivative of e^-|t|
        double a0 = RandomResizedCrop.MIN_AREA;
        double z = g.applyAsDouble(l1) - g.applyAsDouble(l0) - a0 * (l1 - l0);
        return x -> (g.applyAsDouble(x) - g.applyAsDouble(l0) - a0 * (x - l0)) / z;
    }

    /** CDF of the accepted area fraction: density min(l1, -ln a) + min(-l0, -ln a) on [0.08, 1], integrated numerically. */
    private static DoubleUnaryOperator areaCdf(double l0, double l1) {
        int steps = 200_000;
        double a0 = RandomResizedCrop.MIN_AREA;
        double h = (1 - a0) / steps;
        double[] cum = new double[steps + 1];
        for (int i = 1; i <= steps; i++) {
            double mid = a0 + (i - 0.5) * h;
            double u = -Math.log(mid);
            cum[i] = cum[i - 1] + (Math.min(l1, u) + Math.min(-l0, u)) * h;
        }
        double total = cum[steps];
        return x -> {
            double pos = (x - a0) / h;
            if (pos <= 0) {
                return 0;
            }
            if (pos >= steps) {
                return 1;
            }
            int i = (int) pos;
            return (cum[i] + (cum[i + 1] - cum[i]) * (pos - i)) / total;
        };
    }
}
