package mobilevit.launch;

import mobilevit.core.IoFailures;
import mobilevit.core.UserError;
import mobilevit.trainer.Trainer;
import mobilevit.trainer.checkpoint.CorruptCheckpointException;
import mobilevit.trainer.step.NonFiniteLossException;

import java.io.IOException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * How {@code train} and {@code demo} run a {@link Trainer}: SIGINT and SIGTERM ask it to stop,
 * which saves a checkpoint before the JVM exits, and its failures become one-line errors with the
 * exit codes README.md lists (3 for a loss that stays non-finite, 5 for a run folder it cannot write).
 */
final class SaveOnStop {

    private SaveOnStop() {}

    /** Runs {@code trainer} to its end or to a requested stop. */
    static Trainer.Summary run(Trainer trainer) {
        CountDownLatch finished = new CountDownLatch(1);
        Thread hook = new Thread(() -> {
            trainer.requestStop();
            try {
                finished.await(10, TimeUnit.MINUTES);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "save-on-exit");
        Runtime.getRuntime().addShutdownHook(hook);
        try {
            return trainer.run();
        } catch (NonFiniteLossException e) {
            throw new UserError(e.getMessage() + "; nothing was saved after the last good checkpoint"
                    + " (lower optim.lr or check the data)", 3);
        } catch (CorruptCheckpointException e) {
            throw new UserError("checkpoint refused: " + e.getMessage(), e.exitCode());
        } catch (IOException e) {
            throw new UserError("cannot write the run folder: " + IoFailures.describe(e) + trainer.lastCheckpoint()
                    .map(c -> "; the previous checkpoint " + c + " is intact").orElse("; no checkpoint was saved"), 5);
        } finally {
            finished.countDown();
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                // the JVM is exiting; the hook has done its work
            }
        }
    }
}
