package mobilevit.core;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Whole-file writes that never leave a half-written file under the target name: the content goes
 * to a temporary file in the same folder, is forced to disk, and is renamed over the target; the
 * folder is then forced too, so the rename survives a power cut.
 *
 * <p>Temporary files and folders get the permissions any new file gets (the process's umask), not
 * {@link Files#createTempFile}'s owner-only ones: renamed into place, they would make a run folder's
 * checkpoints 0600 beside its 0644 log.
 */
public final class AtomicFiles {

    /** Writes a file's content. */
    @FunctionalInterface
    public interface Writer {
        void write(OutputStream out) throws IOException;
    }

    private AtomicFiles() {}

    /**
     * Writes {@code target} atomically; on failure the previous file (if any) is untouched.
     *
     * @throws FileSystemException naming {@code target} (not the temporary file) and the reason
     */
    public static void write(Path target, Writer body) throws IOException {
        try {
            writeThroughTemporaryFile(target, body);
        } catch (IOException e) {
            FileSystemException named = new FileSystemException(target.toString(), null, IoFailures.reason(e));
            named.initCause(e);
            throw named;
        }
    }

    private static void writeThroughTemporaryFile(Path target, Writer body) throws IOException {
        Path dir = target.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        Path tmp = newTempFile(dir, "." + target.getFileName() + ".");
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING)) {
                // close() only flushes, so the body may close the stream before the channel is forced
                OutputStream out = new BufferedOutputStream(Channels.newOutputStream(ch), 1 << 16) {
                    @Override
                    public void close() throws IOException {
                        flush();
                    }
                };
                body.write(out);
                out.flush();
                ch.force(true);
            }
            try {
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
            }
            forceDirectory(dir);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /** Creates a new empty file {@code dir/<prefix><random digits>.tmp} with the umask's permissions. */
    private static Path newTempFile(Path dir, String prefix) throws IOException {
        return createUnique(dir, prefix, ".tmp", Files::createFile);
    }

    /** Creates a new empty folder {@code dir/<prefix><random digits>} with the umask's permissions. */
    public static Path newTempDirectory(Path dir, String prefix) throws IOException {
        return createUnique(dir, prefix, "", Files::createDirectory);
    }

    /** Creates a file or a folder. */
    @FunctionalInterface
    private interface Creator {
        Path create(Path path) throws IOException;
    }

    /** Creates {@code dir/<prefix><random digits><suffix>}, drawing again while the name is taken. */
    private static Path createUnique(Path dir, String prefix, String suffix, Creator creator) throws IOException {
        while (true) {
            try {
                return creator.create(dir.resolve(prefix + Long.toUnsignedString(ThreadLocalRandom.current().nextLong())
                        + suffix));
            } catch (FileAlreadyExistsException taken) {
                // another writer drew the same name; draw again
            }
        }
    }

    /** Writes UTF-8 text atomically. */
    public static void writeString(Path target, String text) throws IOException {
        write(target, out -> out.write(text.getBytes(StandardCharsets.UTF_8)));
    }

    /** Forces a folder's entries (renames, new files) to disk where the platform allows it. */
    public static void forceDirectory(Path dir) {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException ignored) {
            // Some filesystems cannot open folders for reading; the rename itself is still atomic.
        }
    }
}
