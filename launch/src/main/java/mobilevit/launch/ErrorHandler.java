package mobilevit.launch;

import mobilevit.core.UserError;

import picocli.CommandLine;

import java.io.PrintWriter;

/**
 * How a command's exception ends the process: a {@link UserError} (bad input) prints its message
 * and exits with its code; anything else is a bug, printed as one line with its type and exit code
 * 1. {@code --verbose} adds the stack trace to either.
 */
final class ErrorHandler implements CommandLine.IExecutionExceptionHandler {

    /** An exception that is not bad input: a bug, or a failure of the machine. */
    static final int UNEXPECTED = 1;

    @Override
    public int handleExecutionException(Exception e, CommandLine cmd, CommandLine.ParseResult parsed) {
        return report(e, verbose(parsed), cmd.getErr());
    }

    /** Whether {@code --verbose} was given, before the command's name or after it (it is inherited). */
    static boolean verbose(CommandLine.ParseResult parsed) {
        for (CommandLine.ParseResult p = parsed; p != null; p = p.subcommand()) {
            if (p.hasMatchedOption("--verbose")) {
                return true;
            }
        }
        return false;
    }

    /**
     * An {@link OutOfMemoryError} (the Java heap, or direct buffers, whose default limit is the
     * heap's): one line naming the setting that raises it.
     */
    static int outOfMemory(OutOfMemoryError e, long maxHeapBytes, boolean verbose, PrintWriter err) {
        long suggestedGb = Math.max(2, 2 * ((maxHeapBytes + (1L << 30) - 1) >> 30));
        err.println("error: out of memory (" + e.getMessage() + ") with a Java heap of at most "
                + (maxHeapBytes >> 20) + " MB: give the JVM more, e.g. MOBILEVIT_JAVA_OPTS=-Xmx" + suggestedGb
                + "g launch/mobilevit ...");
        if (verbose) {
            e.printStackTrace(err);
        }
        err.flush();
        return UNEXPECTED;
    }

    static int report(Exception e, boolean verbose, PrintWriter err) {
        int code;
        if (e instanceof UserError user) {
            err.println("error: " + e.getMessage());
            code = user.exitCode();
        } else {
            err.println("error: " + e.getClass().getSimpleName() + ": " + e.getMessage()
                    + (verbose ? "" : " (run with --verbose for details)"));
            code = UNEXPECTED;
        }
        if (verbose) {
            e.printStackTrace(err);
        }
        return code;
    }
}
