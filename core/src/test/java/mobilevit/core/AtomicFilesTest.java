package mobilevit.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

class AtomicFilesTest {

    @TempDir
    Path dir;

    @Test
    void replacesTheContentAndLeavesNoTemporaryFile() throws IOException {
        Path target = dir.resolve("metrics.csv");
        AtomicFiles.writeString(target, "old");
        AtomicFiles.writeString(target, "new");
        assertEquals("new", Files.readString(target));
        assertEquals(List.of(target), list());
    }

    @Test
    void aFailedWriteKeepsThePreviousFileAndLeavesNoTemporaryFile() throws IOException {
        Path target = dir.resolve("state.json");
        AtomicFiles.writeString(target, "intact");
        IOException e = assertThrows(IOException.class, () -> AtomicFiles.write(target, out -> {
            out.write("partial".getBytes(StandardCharsets.UTF_8));
            throw new IOException("No space left on device");
        }));
        assertEquals(target + ": no space left on device", e.getMessage());
        assertEquals("intact", Files.readString(target));
        assertEquals(List.of(target), list());
    }

    /** Written files and temporary folders get what a plain new file or folder gets here (the umask), not 0600/0700. */
    @Test
    void permissionsAreThoseOfAnyNewFileOrFolder() throws IOException {
        assumeTrue(FileSystems.getDefault().supportedFileAttributeViews().contains("posix"), "not a POSIX file system");
        Path plainFile = Files.createFile(dir.resolve("plain"));
        Path plainDir = Files.createDirectory(dir.resolve("plain-dir"));
        Path written = dir.resolve("written");
        AtomicFiles.writeString(written, "x");
        Path tempDir = AtomicFiles.newTempDirectory(dir, ".e0001-i000000.");
        assertEquals(Files.getPosixFilePermissions(plainFile), Files.getPosixFilePermissions(written));
        assertEquals(Files.getPosixFilePermissions(plainDir), Files.getPosixFilePermissions(tempDir));
        assertEquals(true, tempDir.getFileName().toString().matches("\\.e0001-i000000\\.\\d+"), tempDir::toString);
    }

    /** A folder this process may not write: the message names the target and "permission denied", not a temporary file. */
    @Test
    void aFolderWithoutWritePermissionIsNamedWithTheReason() throws IOException {
        assumeTrue(FileSystems.getDefault().supportedFileAttributeViews().contains("posix"), "not a POSIX file system");
        Path locked = Files.createDirectory(dir.resolve("locked"));
        Files.setPosixFilePermissions(locked, java.nio.file.attribute.PosixFilePermissions.fromString("r-xr-xr-x"));
        try {
            assumeTrue(!Files.isWritable(locked), "running as root: permissions do not stop writes");
            Path target = locked.resolve("config.yaml");
            IOException e = assertThrows(IOException.class, () -> AtomicFiles.writeString(target, "x"));
            assertEquals(target + ": permission denied", e.getMessage());
            assertEquals("permission denied", IoFailures.reason(e));
        } finally {
            Files.setPosixFilePermissions(locked, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
        }
    }

    @Test
    void reasonsInWords() {
        assertEquals("permission denied", IoFailures.reason(new java.nio.file.AccessDeniedException("/r/f")));
        assertEquals("/r/f: permission denied", IoFailures.describe(new java.nio.file.AccessDeniedException("/r/f")));
        assertEquals("no space left on device", IoFailures.reason(new IOException("No space left on device")));
        assertEquals("read-only file system",
                IoFailures.reason(new java.nio.file.FileSystemException("/r/f", null, "Read-only file system")));
        assertEquals("no such file or directory", IoFailures.reason(new java.nio.file.NoSuchFileException("/r/f")));
        assertEquals("SHA-256 mismatch", IoFailures.reason(new IOException("SHA-256 mismatch")));
    }

    private List<Path> list() throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.sorted().toList();
        }
    }
}
