package mobilevit.trainer.cluster;

import java.nio.ByteBuffer;

/**
 * The processes that train one model together (one, or the ranks of an MPI job): each holds some
 * of the replicas, and these collectives make them agree. Every process calls the same collectives
 * in the same order; buffers are direct, in native byte order, of float32 values.
 */
public interface Cluster extends AutoCloseable {

    /** This process's number, from 0; rank 0 alone writes the run folder. */
    int rank();

    /** The number of processes. */
    int size();

    /** Replaces {@code floats} by its element-wise sum over every process. */
    void sum(ByteBuffer floats);

    /** The sum of {@code value} over every process. */
    long sum(long value);

    /** Whether any process passed true. */
    boolean any(boolean flag);

    /** Every process's {@code local} (all of one length), end to end in rank order. */
    double[] gather(double[] local);

    /** Replaces {@code floats} by rank 0's. */
    void broadcast(ByteBuffer floats);

    /** Leaves the cluster (MPI_Finalize); after a run that ended normally only. */
    @Override
    void close();

    /** This process alone: the collectives return their input. */
    Cluster SINGLE_PROCESS = new Cluster() {
        @Override
        public int rank() {
            return 0;
        }

        @Override
        public int size() {
            return 1;
        }

        @Override
        public void sum(ByteBuffer floats) {}

        @Override
        public long sum(long value) {
            return value;
        }

        @Override
        public boolean any(boolean flag) {
            return flag;
        }

        @Override
        public double[] gather(double[] local) {
            return local.clone();
        }

        @Override
        public void broadcast(ByteBuffer floats) {}

        @Override
        public void close() {}
    };
}
