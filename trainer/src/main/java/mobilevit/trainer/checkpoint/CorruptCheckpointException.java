package mobilevit.trainer.checkpoint;

import mobilevit.core.UserError;

/** A checkpoint that is incomplete or damaged; the message names the folder and the file (exit code 4). */
public final class CorruptCheckpointException extends UserError {
    private static final long serialVersionUID = 1L;

    /** The exit code of a damaged or unusable checkpoint. */
    public static final int EXIT_CODE = 4;

    public CorruptCheckpointException(String message) {
        super(message, EXIT_CODE);
    }
}
