package mobilevit.trainer.cluster;

import java.util.function.IntConsumer;

/**
 * Ends the job when a collective does not complete in time: a process that died or hangs leaves
 * the others waiting in their next collective forever. A daemon thread checks the collective in
 * progress; past the time limit it prints one line naming this rank and the collective, and calls
 * the abort (MPI_Abort, which ends every process of the job).
 */
final class CollectiveWatchdog implements AutoCloseable {

    /** The exit code of a job ended by the watchdog. */
    static final int EXIT_CODE = 6;

    private final int rank;
    private final long limitNanos;
    private final IntConsumer abort;
    private final Thread thread;
    private volatile String current;
    private volatile long since;
    private volatile boolean closed;

    CollectiveWatchdog(int rank, long limitSeconds, IntConsumer abort) {
        this.rank = rank;
        this.limitNanos = limitSeconds * 1_000_000_000L;
        this.abort = abort;
        thread = new Thread(this::watch, "mpi-watchdog");
        thread.setDaemon(true);
        thread.start();
    }

    /** Runs {@code collective} (called {@code what} in the message) under the time limit. */
    void during(String what, Runnable collective) {
        since = System.nanoTime();
        current = what;
        try {
            collective.run();
        } finally {
            current = null;
        }
    }

    private void watch() {
        while (!closed) {
            String what = current;
            if (what != null && System.nanoTime() - since > limitNanos) {
                System.err.println("error: rank " + rank + ": " + what + " did not complete within "
                        + limitNanos / 1_000_000_000L + " s (another rank died or hangs); aborting the job");
                System.err.flush();
                abort.accept(EXIT_CODE);
                Runtime.getRuntime().halt(EXIT_CODE); // if the abort itself hangs
            }
            try {
                Thread.sleep(200);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    @Override
    public void close() {
        closed = true;
        thread.interrupt();
    }
}
