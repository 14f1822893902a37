package mobilevit.data.codec;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code src/main/native/build.sh}: where region decoding cannot be built, the build goes on without
 * it (exit 0), says why, and leaves no library behind.
 */
class NativeBuildScriptTest {

    private static final Path SCRIPT = Path.of("src/main/native/build.sh");

    @TempDir
    Path tmp;

    @Test
    void withoutACompilerNothingIsBuilt() throws Exception {
        Run r = build(tmp.resolve("no-such-cc").toString());
        assertEquals(0, r.exit, r.output);
        assertTrue(r.output.startsWith("[jpeg_region] not built: no C compiler"), r.output);
        assertFalse(Files.exists(tmp.resolve("out/libmobilevit_jpeg.so")));
    }

    /** A compiler that preprocesses but cannot compile (another libjpeg's headers, say). */
    @Test
    void aFailedCompileIsReportedAndLeavesNoLibrary() throws Exception {
        Path cc = tmp.resolve("cc");
        // -E (build.sh's check for jpeglib.h) reads its input and succeeds, with no real compiler; compiling fails
        Files.writeString(cc, "#!/bin/sh\nfor a in \"$@\"; do [ \"$a\" = -E ] && { cat >/dev/null; exit 0; }; done\n"
                + "echo 'jpeg_region.c:80: error: JCS_EXT_BGR undeclared' >&2\nexit 1\n");
        Files.setPosixFilePermissions(cc, PosixFilePermissions.fromString("rwx------"));
        Run r = build(cc.toString());
        assertEquals(0, r.exit, r.output);
        assertTrue(r.output.contains("not built: " + cc + " failed") && r.output.contains("JCS_EXT_BGR undeclared"),
                r.output);
        assertFalse(Files.exists(tmp.resolve("out/libmobilevit_jpeg.so")));
    }

    private record Run(int exit, String output) {}

    private Run build(String cc) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder("bash", SCRIPT.toString(), tmp.resolve("out").toString())
                .redirectErrorStream(true);
        pb.environment().put("CC", cc);
        Process p = pb.start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        return new Run(p.waitFor(), output);
    }
}
