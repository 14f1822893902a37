package mobilevit.core;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

/** Digests against FIPS 180-2's test vectors and digests computed by Python's hashlib. */
class Sha256Test {

    private static final String EMPTY = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

    @TempDir
    Path tmp;

    @Test
    void text() {
        assertEquals("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", Sha256.of("abc"));
        assertEquals(EMPTY, Sha256.of(""));
        assertEquals("edd3a863872a04239eb29ad4bc12fc892b3d4ae57cc7e786a3697816f8e141c2", Sha256.of("é\n"), "UTF-8");
    }

    @Test
    void linesEachEndWithANewline() {
        assertEquals("396e4f52b4c0550f5ababac7c35aa7f9f6c2b37f981a8d1ae1fc0fcad7580325",
                Sha256.ofLines(List.of("cat/a.JPEG", "dog/été.jpg")));
        assertEquals(EMPTY, Sha256.ofLines(List.of()));
    }

    /** A million bytes: the file is read in many blocks. */
    @Test
    void file() throws Exception {
        byte[] a = new byte[1_000_000];
        Arrays.fill(a, (byte) 'a');
        assertEquals("cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0",
                Sha256.of(Files.write(tmp.resolve("a"), a)));
        assertEquals(EMPTY, Sha256.of(Files.write(tmp.resolve("empty"), new byte[0])));
    }
}
