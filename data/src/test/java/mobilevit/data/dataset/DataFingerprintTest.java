package mobilevit.data.dataset;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;

class DataFingerprintTest {

    @TempDir
    Path tmp;

    private void touch(String relative) throws IOException {
        Path p = tmp.resolve(relative);
        Files.createDirectories(p.getParent());
        Files.write(p, new byte[] {1});
    }

    private static String sha256(String text) throws NoSuchAlgorithmException {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void classesCountsAndTheHashOfTheSortedPaths() throws Exception {
        touch("cat/b.jpg");
        touch("cat/a.JPEG");
        touch("cat/sub/c.png");
        touch("dog/x.jpg");
        Files.createDirectories(tmp.resolve("empty"));
        DataFingerprint f = ImageFolder.open(tmp, null).fingerprint();
        assertEquals(List.of("cat", "dog", "empty"), f.classes());
        assertEquals(List.of(3, 1, 0), f.imagesPerClass());
        assertEquals(4, f.images());
        assertEquals(sha256("cat/a.JPEG\ncat/b.jpg\ncat/sub/c.png\ndog/x.jpg\n"), f.pathsSha256());
    }

    @Test
    void aRenamedFileChangesTheHashButNotTheCounts() throws IOException {
        touch("cat/a.jpg");
        touch("dog/b.jpg");
        DataFingerprint before = ImageFolder.open(tmp, null).fingerprint();
        Files.move(tmp.resolve("dog/b.jpg"), tmp.resolve("dog/c.jpg"));
        DataFingerprint after = ImageFolder.open(tmp, null).fingerprint();
        assertEquals(before.imagesPerClass(), after.imagesPerClass());
        assertNotEquals(before.pathsSha256(), after.pathsSha256());
    }
}
