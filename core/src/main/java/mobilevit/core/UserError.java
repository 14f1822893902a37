package mobilevit.core;

/**
 * Bad input (a configuration, a command-line value, a data folder, a weights file, a checkpoint):
 * thrown where it is detected, printed by the command line as one line naming the problem, and
 * ending the process with {@link #exitCode()} (2 unless said otherwise; README.md lists the codes).
 * Any other exception is a bug and ends with exit code 1.
 */
public class UserError extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** Bad input or configuration. */
    public static final int BAD_INPUT = 2;

    private final int exitCode;

    public UserError(String message) {
        this(message, BAD_INPUT);
    }

    public UserError(String message, int exitCode) {
        super(message);
        this.exitCode = exitCode;
    }

    public int exitCode() {
        return exitCode;
    }
}
