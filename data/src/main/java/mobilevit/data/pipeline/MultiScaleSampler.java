package mobilevit.data.pipeline;

import mobilevit.data.dataset.Seeds;

import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * CVNets v0.1's variable batch sampler: every epoch has its own permutation of the training set,
 * and each iteration draws one (height, width, batch per replica) from the {@link ScaleTable} and
 * takes the next {@code replicas * batch} images of the permutation (replica k gets the k-th slice).
 * The epoch ends once every image has been taken; the last iteration is filled up by wrapping round
 * to the start of the permutation, as CVNets does.
 *
 * <p>The state is (seed, epoch, iteration): any batch can be computed directly, so a run resumed in
 * the middle of an epoch continues with exactly the batch it would have had, without decoding the
 * earlier ones. The permutation and the scale draws come from generators seeded by (seed, epoch).
 */
public final class MultiScaleSampler {

    private final List<Scale> table;
    private final int datasetSize;
    private final int replicas;
    private final long seed;

    /** The scale draws of the epoch asked for last (cheap: no permutation needed to count iterations). */
    private EpochPlan cachedPlan;
    /** The permutation of the epoch whose batches were asked for last. */
    private int cachedPermutationEpoch = -1;
    private int[] cachedPermutation;

    private record EpochPlan(int epoch, int[] scales, long[] starts) {}

    public MultiScaleSampler(List<Scale> table, int datasetSize, int replicas, long seed) {
        if (table.isEmpty() || datasetSize <= 0 || replicas <= 0) {
            throw new IllegalArgumentException("sampler needs a table, images and replicas (got " + table.size()
                    + " scales, " + datasetSize + " images, " + replicas + " replicas)");
        }
        this.table = List.copyOf(table);
        this.datasetSize = datasetSize;
        this.replicas = replicas;
        this.seed = seed;
    }

    /** The sampler of the paper's table for the given settings. */
    public static MultiScaleSampler of(ScaleTable.Params params, int datasetSize, long seed) {
        return new MultiScaleSampler(ScaleTable.of(params), datasetSize, params.replicas(), seed);
    }

    public List<Scale> table() {
        return table;
    }

    public int replicas() {
        return replicas;
    }

    public int datasetSize() {
        return datasetSize;
    }

    /** The number of iterations of an epoch (it depends on the epoch's scale draws). */
    public int iterations(int epoch) {
        return plan(epoch).scales.length;
    }

    /** The batch of iteration {@code iteration} (from 0) of epoch {@code epoch} (from 0). */
    public SampledBatch batch(int epoch, int iteration) {
        EpochPlan plan = plan(epoch);
        if (iteration < 0 || iteration >= plan.scales.length) {
            throw new IndexOutOfBoundsException("epoch " + epoch + " has " + plan.scales.length
                    + " iterations, asked for " + iteration);
        }
        Scale scale = table.get(plan.scales[iteration]);
        long first = plan.starts[iteration];
        int[] permutation = permutation(epoch);
        int[][] shards = new int[replicas][scale.batch()];
        for (int k = 0; k < replicas; k++) {
            for (int s = 0; s < scale.batch(); s++) {
                long position = first + (long) k * scale.batch() + s;
                shards[k][s] = permutation[(int) (position % datasetSize)];
            }
        }
        return new SampledBatch(epoch, iteration, scale, first, 0, shards);
    }

    private synchronized EpochPlan plan(int epoch) {
        if (epoch < 0) {
            throw new IllegalArgumentException("epoch must be >= 0, got " + epoch);
        }
        if (cachedPlan == null || cachedPlan.epoch != epoch) {
            cachedPlan = scaleDraws(epoch);
        }
        return cachedPlan;
    }

    private synchronized int[] permutation(int epoch) {
        if (cachedPermutationEpoch != epoch) {
            cachedPermutation = shuffled(epoch);
            cachedPermutationEpoch = epoch;
        }
        return cachedPermutation;
    }

    private EpochPlan scaleDraws(int epoch) {
        SplittableRandom draws = Seeds.random(seed, Seeds.SCALES, epoch);
        int estimate = (int) (datasetSize / ((long) replicas * table.get(0).batch())) + 2;
        int[] scales = new int[estimate];
        long[] starts = new long[estimate];
        int n = 0;
        for (long position = 0; position < datasetSize; n++) {
            if (n == scales.length) {
                scales = Arrays.copyOf(scales, 2 * n);
                starts = Arrays.copyOf(starts, 2 * n);
            }
            scales[n] = draws.nextInt(table.size());
            starts[n] = position;
            position += (long) replicas * table.get(scales[n]).batch();
        }
        return new EpochPlan(epoch, Arrays.copyOf(scales, n), Arrays.copyOf(starts, n));
    }

    private int[] shuffled(int epoch) {
        int[] permutation = new int[datasetSize];
        for (int i = 0; i < datasetSize; i++) {
            permutation[i] = i;
        }
        SplittableRandom shuffle = Seeds.random(seed, Seeds.PERMUTATION, epoch);
        for (int i = datasetSize - 1; i > 0; i--) {
            int j = shuffle.nextInt(i + 1);
            int t = permutation[i];
            permutation[i] = permutation[j];
            permutation[j] = t;
        }
        return permutation;
    }
}
