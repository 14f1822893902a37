package mobilevit.trainer.checkpoint;

import mobilevit.trainer.config.ConfigException;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The lock a training process holds on its run folder: an OS lock on the folder's {@value #FILE}
 * file, which dies with the process (a killed run leaves the file but no lock). The file holds the
 * holder's PID, so that a second run in the folder is refused naming it.
 */
public final class RunFolderLock implements AutoCloseable {

    /** The lock file's name in the run folder. */
    public static final String FILE = ".lock";

    /**
     * The lock files this JVM holds. Their files are never opened a second time here: closing that
     * channel would drop the JVM's lock too (POSIX locks belong to the process, see FileLock).
     */
    private static final Set<Path> HELD = ConcurrentHashMap.newKeySet();

    private final Path file;
    private final FileChannel channel;

    private RunFolderLock(Path file, FileChannel channel) {
        this.file = file;
        this.channel = channel;
    }

    /**
     * Locks {@code runFolder}, which must exist, and writes this process's PID into its lock file.
     *
     * @throws ConfigException if another run holds the folder (in this JVM or another process)
     */
    public static RunFolderLock acquire(Path runFolder) throws IOException {
        Path file = runFolder.toRealPath().resolve(FILE);
        if (!HELD.add(file)) {
            throw inUse(runFolder, Long.toString(ProcessHandle.current().pid()));
        }
        FileChannel channel = null;
        try {
            channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ,
                    StandardOpenOption.WRITE);
            if (channel.tryLock() == null) {
                throw inUse(runFolder, holder(channel));
            }
            byte[] pid = (ProcessHandle.current().pid() + "\n").getBytes(StandardCharsets.US_ASCII);
            channel.write(ByteBuffer.wrap(pid), 0);
            channel.truncate(pid.length);
            return new RunFolderLock(file, channel);
        } catch (IOException | RuntimeException e) {
            if (channel != null) {
                channel.close();
            }
            HELD.remove(file);
            throw e;
        }
    }

    /** The PID in a lock file, or "unknown" while its holder has not written it yet. */
    private static String holder(FileChannel channel) throws IOException {
        ByteBuffer bytes = ByteBuffer.allocate(32);
        channel.read(bytes, 0);
        String pid = new String(bytes.array(), 0, bytes.position(), StandardCharsets.US_ASCII).split("\n", 2)[0];
        return pid.matches("\\d+") ? pid : "unknown";
    }

    private static ConfigException inUse(Path runFolder, String pid) {
        return new ConfigException("run folder " + runFolder + " is in use by another train (PID " + pid
                + "); wait for it or give another --output");
    }

    /** Releases the lock; the file stays (the lock, not the file, marks a running train). */
    @Override
    public void close() throws IOException {
        try {
            channel.close();
        } finally {
            HELD.remove(file);
        }
    }
}
