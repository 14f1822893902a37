package mobilevit.data.pipeline;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;

import mobilevit.data.Fixtures;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MultiScaleSamplerTest {

    @Test
    void tableEqualsCvnetsForEveryFixtureCase() throws Exception {
        JsonArray cases = Fixtures.json("math/image_batch_pairs_v01.json").getAsJsonArray("cases");
        assertEquals(9, cases.size());
        for (JsonElement e : cases) {
            JsonObject c = e.getAsJsonObject();
            JsonObject p = c.getAsJsonObject("params");
            ScaleTable.Params params = new ScaleTable.Params(p.get("crop_size_h").getAsInt(), p.get("crop_size_w").getAsInt(),
                    p.get("min_crop_size_h").getAsInt(), p.get("min_crop_size_w").getAsInt(),
                    p.get("max_crop_size_h").getAsInt(), p.get("max_crop_size_w").getAsInt(),
                    p.get("max_scales").getAsInt(), p.get("check_scale_div_factor").getAsInt(),
                    p.get("batch_size_gpu0").getAsInt(), p.get("n_gpus").getAsInt());
            List<Scale> expected = new ArrayList<>();
            for (JsonElement t : c.getAsJsonArray("table")) {
                JsonArray r = t.getAsJsonArray();
                expected.add(new Scale(r.get(0).getAsInt(), r.get(1).getAsInt(), r.get(2).getAsInt()));
            }
            assertEquals(expected, ScaleTable.of(params), p.toString());
        }
    }

    @Test
    void paperTable() {
        assertEquals(List.of(new Scale(160, 160, 328), new Scale(192, 192, 224), new Scale(256, 256, 128),
                new Scale(288, 288, 128), new Scale(320, 320, 128)), ScaleTable.of(ScaleTable.Params.paper(128, 8)));
    }

    @Test
    void makeDivisibleEqualsCvnets() throws Exception {
        for (JsonElement e : Fixtures.json("math/make_divisible.json").getAsJsonArray("cases")) {
            JsonObject c = e.getAsJsonObject();
            double v = c.get("v").getAsDouble();
            int d = c.get("divisor").getAsInt();
            int expected = c.get("result").getAsInt();
            int actual = c.get("min_value").isJsonNull() ? ScaleTable.makeDivisible(v, d)
                    : ScaleTable.makeDivisible(v, d, c.get("min_value").getAsInt());
            assertEquals(expected, actual, c.toString());
        }
    }

    @Test
    void anEpochTakesEveryImageAndShardsAreSlices() {
        int n = 1001;
        MultiScaleSampler sampler = new MultiScaleSampler(ScaleTable.of(ScaleTable.Params.square(96, 64, 128, 5, 32, 8, 2)),
                n, 2, 42);
        for (int epoch = 0; epoch < 3; epoch++) {
            int iterations = sampler.iterations(epoch);
            BitSet seen = new BitSet(n);
            long taken = 0;
            for (int t = 0; t < iterations; t++) {
                SampledBatch b = sampler.batch(epoch, t);
                assertEquals(2, b.shards().length);
                assertTrue(sampler.table().contains(b.scale()));
                assertEquals(taken, b.firstPosition());
                for (int[] shard : b.shards()) {
                    assertEquals(b.scale().batch(), shard.length);
                    for (int index : shard) {
                        if (taken < n) {
                            assertFalse(seen.get(index), "image " + index + " taken twice before the wrap");
                        }
                        seen.set(index);
                        taken++;
                    }
                }
            }
            assertEquals(n, seen.cardinality(), "every image in epoch " + epoch);
            SampledBatch last = sampler.batch(epoch, iterations - 1);
            assertTrue(last.firstPosition() < n && taken >= n, "the last iteration is the one that wraps");
        }
    }

    @Test
    void deterministicPerSeedAndEpoch() {
        List<Scale> table = ScaleTable.of(ScaleTable.Params.paper(16, 1));
        MultiScaleSampler a = new MultiScaleSampler(table, 5000, 1, 7);
        MultiScaleSampler b = new MultiScaleSampler(table, 5000, 1, 7);
        MultiScaleSampler other = new MultiScaleSampler(table, 5000, 1, 8);
        assertEquals(a.iterations(3), b.iterations(3));
        for (int t = 0; t < a.iterations(3); t++) {
            assertSame(a.batch(3, t), b.batch(3, t));
        }
        assertFalse(Arrays.equals(a.batch(3, 0).shards()[0], other.batch(3, 0).shards()[0]));
        assertFalse(Arrays.equals(a.batch(3, 0).shards()[0], a.batch(4, 0).shards()[0]), "each epoch has its own order");
    }

    /** A sampler made fresh at (epoch, iteration) gives exactly the batches of an uninterrupted run. */
    @Test
    void resumesExactlyMidEpoch() {
        List<Scale> table = ScaleTable.of(ScaleTable.Params.paper(32, 2));
        MultiScaleSampler run = new MultiScaleSampler(table, 3000, 2, 11);
        List<SampledBatch> uninterrupted = new ArrayList<>();
        for (int epoch = 0; epoch < 2; epoch++) {
            for (int t = 0; t < run.iterations(epoch); t++) {
                uninterrupted.add(run.batch(epoch, t));
            }
        }
        int resumeAt = run.iterations(0) + 7; // epoch 1, iteration 7
        MultiScaleSampler resumed = new MultiScaleSampler(table, 3000, 2, 11);
        for (int t = 7; t < resumed.iterations(1); t++) {
            assertSame(uninterrupted.get(resumeAt + t - 7), resumed.batch(1, t));
        }
    }

    @Test
    void scalesAreDrawnUniformlyFromTheTable() {
        List<Scale> table = ScaleTable.of(ScaleTable.Params.paper(128, 1));
        MultiScaleSampler sampler = new MultiScaleSampler(table, 1_281_167, 1, 0);
        int[] counts = new int[table.size()];
        int total = 0;
        for (int epoch = 0; epoch < 4; epoch++) {
            for (int t = 0; t < sampler.iterations(epoch); t++) {
                counts[table.indexOf(sampler.batch(epoch, t).scale())]++;
                total++;
            }
        }
        for (int c : counts) {
            double expected = total / (double) table.size();
            assertTrue(Math.abs(c - expected) < 5 * Math.sqrt(expected), Arrays.toString(counts));
        }
        // 4 epochs of about 1,281,167 / 187.6 iterations (the table's mean batch): 6829, 6844, 6793, 6830
        assertEquals(27_296, total);
    }

    private static void assertSame(SampledBatch expected, SampledBatch actual) {
        assertEquals(expected.epoch(), actual.epoch());
        assertEquals(expected.iteration(), actual.iteration());
        assertEquals(expected.scale(), actual.scale());
        assertEquals(expected.firstPosition(), actual.firstPosition());
        assertEquals(expected.shards().length, actual.shards().length);
        for (int k = 0; k < expected.shards().length; k++) {
            assertArrayEquals(expected.shards()[k], actual.shards()[k]);
        }
    }
}
