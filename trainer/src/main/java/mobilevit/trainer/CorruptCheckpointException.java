package mobilevit.trainer;

/** A checkpoint that is incomplete or damaged; the message names the folder and the file. */
public final class CorruptCheckpointException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public CorruptCheckpointException(String message) {
        super(message);
    }
}
