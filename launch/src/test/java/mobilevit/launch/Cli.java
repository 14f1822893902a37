package mobilevit.launch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

/** Runs the command line in-process and captures what it prints. */
final class Cli {

    /**
     * A line of the log (time and level first: progress, or a warning such as a missing optional
     * library's), not an error message.
     */
    private static final java.util.regex.Pattern LOG_LINE = java.util.regex.Pattern.compile("^\\d\\d:\\d\\d:\\d\\d (INFO|WARN) ");

    record Result(int exitCode, String out, String err) {

        /**
         * Asserts a failure with exactly one error line on stderr (progress log lines aside), no
         * stack trace, and that the line contains {@code text}.
         */
        Result failsWithOneLine(int code, String text) {
            assertEquals(code, exitCode, "exit code; stderr: " + err + " stdout: " + out);
            String[] lines = err.strip().lines().filter(l -> !LOG_LINE.matcher(l).find()).toArray(String[]::new);
            assertEquals(1, lines.length, "one line on stderr, got:\n" + err);
            assertFalse(err.contains("\tat "), "no stack trace: " + err);
            if (!lines[0].contains(text)) {
                throw new AssertionError("stderr line does not contain '" + text + "': " + lines[0]);
            }
            return this;
        }
    }

    private Cli() {}

    static synchronized Result run(String... args) {
        PrintStream out = System.out;
        PrintStream err = System.err;
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        ByteArrayOutputStream e = new ByteArrayOutputStream();
        System.setOut(new PrintStream(o, true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(e, true, StandardCharsets.UTF_8));
        try {
            int code = Main.execute(args);
            return new Result(code, o.toString(StandardCharsets.UTF_8), e.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(out);
            System.setErr(err);
        }
    }
}
