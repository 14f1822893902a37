package mobilevit.launch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import mobilevit.core.UserError;
import mobilevit.trainer.checkpoint.CorruptCheckpointException;
import mobilevit.trainer.config.ConfigException;

import org.junit.jupiter.api.Test;

import java.io.PrintWriter;
import java.io.StringWriter;

class ErrorHandlerTest {

    private record Report(int exitCode, String err) {}

    private static Report report(Exception e, boolean verbose) {
        StringWriter err = new StringWriter();
        int code = ErrorHandler.report(e, verbose, new PrintWriter(err, true));
        return new Report(code, err.toString());
    }

    @Test
    void badInputEndsWithItsExitCodeAndOneLine() {
        assertEquals(new Report(2, "error: train.epochs must be >= 1, got 0" + System.lineSeparator()),
                report(new ConfigException("train.epochs must be >= 1, got 0"), false));
        assertEquals(4, report(new CorruptCheckpointException("run/checkpoints/x: state.json is damaged"), false)
                .exitCode());
        assertEquals(5, report(new UserError("cannot write run", 5), false).exitCode());
    }

    @Test
    void anyOtherExceptionIsABugWithExitCodeOne() {
        Report r = report(new IllegalArgumentException("index -1 out of range"), false);
        assertEquals(1, r.exitCode());
        assertEquals("error: IllegalArgumentException: index -1 out of range (run with --verbose for details)"
                + System.lineSeparator(), r.err());
        assertEquals(1, report(new IllegalStateException("unexpected"), false).exitCode());
    }

    @Test
    void outOfMemoryIsOneLineNamingTheHeapSetting() {
        StringWriter err = new StringWriter();
        int code = ErrorHandler.outOfMemory(new OutOfMemoryError("Java heap space"), 300L << 20, false,
                new PrintWriter(err, true));
        assertEquals(1, code);
        assertEquals("error: out of memory (Java heap space) with a Java heap of at most 300 MB: give the JVM more,"
                + " e.g. MOBILEVIT_JAVA_OPTS=-Xmx2g launch/mobilevit ..." + System.lineSeparator(), err.toString());
        StringWriter big = new StringWriter();
        ErrorHandler.outOfMemory(new OutOfMemoryError("Direct buffer memory"), 6L << 30, false, new PrintWriter(big, true));
        assertTrue(big.toString().contains("at most 6144 MB: give the JVM more, e.g. MOBILEVIT_JAVA_OPTS=-Xmx12g"),
                big.toString());
    }

    @Test
    void verboseAddsTheStackTrace() {
        Report bug = report(new IllegalArgumentException("index -1 out of range"), true);
        assertEquals(1, bug.exitCode());
        assertTrue(bug.err().startsWith("error: IllegalArgumentException: index -1 out of range"
                + System.lineSeparator() + "java.lang.IllegalArgumentException"), bug.err());
        assertTrue(bug.err().contains("\tat mobilevit.launch.ErrorHandlerTest"), bug.err());
        Report user = report(new ConfigException("train.epochs must be >= 1, got 0"), true);
        assertEquals(2, user.exitCode());
        assertTrue(user.err().contains("\tat mobilevit.launch.ErrorHandlerTest"), user.err());
    }

    @Test
    void verboseCountsBeforeAndAfterTheCommandName() {
        String missing = "/nonexistent/weights.safetensors";
        for (String[] args : new String[][] {
            {"--verbose", "convert", "--weights", missing, "--output", "out.safetensors"},
            {"convert", "--weights", missing, "--output", "out.safetensors", "--verbose"}}) {
            Cli.Result r = Cli.run(args);
            assertEquals(2, r.exitCode(), r.err());
            assertTrue(r.err().startsWith("error: weights file " + missing + " does not exist"), r.err());
            assertTrue(r.err().contains("\tat mobilevit.launch.Args.existingFile"), r.err());
        }
        Cli.run("convert", "--weights", missing, "--output", "out.safetensors")
                .failsWithOneLine(2, "weights file " + missing + " does not exist");
    }
}
