package mobilevit.trainer.cluster;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.DoubleBuffer;

/**
 * The ranks of an MPI job ({@code mpirun}, {@code srun}) as a {@link Cluster}, over Open MPI's C
 * API. Every collective runs under a {@link CollectiveWatchdog}, so a rank that died or hangs ends
 * the whole job within the time limit instead of leaving the others waiting.
 */
public final class MpiCluster implements Cluster {

    /** The library asked for unless {@code MOBILEVIT_MPI_LIBRARY} names another. */
    public static final String DEFAULT_LIBRARY = OpenMpi.DEFAULT_LIBRARY;

    private final OpenMpi mpi;
    private final int rank;
    private final int size;
    private final CollectiveWatchdog watchdog;
    private final ByteBuffer scalar = ByteBuffer.allocateDirect(Long.BYTES).order(ByteOrder.nativeOrder());
    private long collectives;

    private MpiCluster(OpenMpi mpi, long timeoutSeconds) {
        this.mpi = mpi;
        this.rank = mpi.rank();
        this.size = mpi.size();
        this.watchdog = new CollectiveWatchdog(rank, timeoutSeconds, mpi::abort);
    }

    /**
     * Joins the MPI job this process was started in (MPI_Init).
     *
     * @param library Open MPI's library (a soname such as {@link #DEFAULT_LIBRARY}, or a path)
     * @param timeoutSeconds how long a collective may wait for the other ranks before the job is aborted
     */
    public static MpiCluster join(String library, long timeoutSeconds) {
        if (timeoutSeconds <= 0) {
            throw new IllegalArgumentException("the collective time limit must be positive, got " + timeoutSeconds);
        }
        OpenMpi mpi = OpenMpi.load(library);
        mpi.init();
        return new MpiCluster(mpi, timeoutSeconds);
    }

    @Override
    public int rank() {
        return rank;
    }

    @Override
    public int size() {
        return size;
    }

    @Override
    public void sum(ByteBuffer floats) {
        int count = floats.capacity() / Float.BYTES;
        watchdog.during(name("all-reduce of " + count + " floats"),
                () -> mpi.allreduce(floats, count, mpi.floatType, mpi.sumOp));
    }

    @Override
    public long sum(long value) {
        scalar.putLong(0, value);
        watchdog.during(name("all-reduce of a count"), () -> mpi.allreduce(scalar, 1, mpi.longType, mpi.sumOp));
        return scalar.getLong(0);
    }

    @Override
    public boolean any(boolean flag) {
        scalar.putInt(0, flag ? 1 : 0);
        watchdog.during(name("all-reduce of a flag"), () -> mpi.allreduce(scalar, 1, mpi.intType, mpi.maxOp));
        return scalar.getInt(0) != 0;
    }

    @Override
    public double[] gather(double[] local) {
        ByteBuffer send = ByteBuffer.allocateDirect(local.length * Double.BYTES).order(ByteOrder.nativeOrder());
        send.asDoubleBuffer().put(local);
        ByteBuffer all = ByteBuffer.allocateDirect(size * local.length * Double.BYTES).order(ByteOrder.nativeOrder());
        watchdog.during(name("all-gather of " + local.length + " values"),
                () -> mpi.allgather(send, all, local.length, mpi.doubleType));
        double[] out = new double[size * local.length];
        DoubleBuffer view = all.asDoubleBuffer();
        view.get(out);
        return out;
    }

    @Override
    public void broadcast(ByteBuffer floats) {
        int count = floats.capacity() / Float.BYTES;
        watchdog.during(name("broadcast of " + count + " floats from rank 0"),
                () -> mpi.broadcast(floats, count, mpi.floatType, 0));
    }

    private String name(String what) {
        return "collective #" + ++collectives + " (" + what + ")";
    }

    @Override
    public void close() {
        watchdog.during(name("MPI_Finalize"), mpi::finalizeMpi);
        watchdog.close();
    }
}
