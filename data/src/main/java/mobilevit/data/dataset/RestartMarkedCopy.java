package mobilevit.data.dataset;

import mobilevit.core.AtomicFiles;
import mobilevit.core.DaemonThreads;
import mobilevit.core.UserError;
import mobilevit.data.codec.ImageDecoding;
import mobilevit.data.codec.JpegDecoder;
import mobilevit.data.codec.RestartMarkers;
import mobilevit.data.codec.UnreadableImageException;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BiConsumer;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * A copy of a dataset folder in which every JPEG has a restart marker after every MCU
 * ({@link RestartMarkers}): the same pixels, read faster by training's region decoding. Other files,
 * and JPEGs that cannot be re-encoded (damaged ones, or other formats under a .JPEG name), are
 * copied as they are. Each file is written atomically, so a copy stopped part-way is resumed by
 * running it again: the files already there are kept.
 */
public final class RestartMarkedCopy {

    /** AtomicFiles' temporary files, left behind by a copy that was killed. */
    private static final Pattern TEMPORARY = Pattern.compile("^\\..+\\.[0-9]+\\.tmp$");

    /** What a copy did, in files and bytes. */
    public record Summary(long files, long reencoded, long keptAsTheyWere, long alreadyThere, long bytesIn,
                          long bytesOut) {}

    private RestartMarkedCopy() {}

    /**
     * Copies the tree under {@code input} to {@code output} with {@code threads} threads, telling
     * {@code progress} (files done, files in all) as it goes.
     *
     * @throws UserError when the input is not a folder, the output lies inside it (or the reverse), or
     *     re-encoding is not available in this build
     */
    public static Summary copy(Path input, Path output, int threads, BiConsumer<Long, Long> progress)
            throws IOException {
        if (!Files.isDirectory(input)) {
            throw new UserError("input " + input + " is not a folder");
        }
        Path in = input.toRealPath();
        Path out = real(output);
        if (out.startsWith(in) || in.startsWith(out)) {
            throw new UserError("output " + output + " and input " + input + " must not contain each other");
        }
        if (!RestartMarkers.available()) {
            throw new UserError("cannot re-encode JPEGs: libmobilevit_jpeg.so is not in this build or does not load "
                    + "(build with gcc and libjpeg62-turbo-dev installed; see docs/jpeg-decoding.md)");
        }
        List<Path> files;
        try (Stream<Path> walk = Files.walk(in)) {
            List<Path> all = walk.map(in::relativize).sorted().toList();
            for (Path dir : all.stream().filter(p -> Files.isDirectory(in.resolve(p.toString()))).toList()) {
                Files.createDirectories(out.resolve(dir.toString())); // empty class folders too: they are classes
            }
            files = all.stream().filter(p -> Files.isRegularFile(in.resolve(p.toString()))).toList();
        }
        long total = files.size();
        AtomicInteger next = new AtomicInteger();
        AtomicLong done = new AtomicLong();
        AtomicLong reencoded = new AtomicLong();
        AtomicLong kept = new AtomicLong();
        AtomicLong there = new AtomicLong();
        AtomicLong bytesIn = new AtomicLong();
        AtomicLong bytesOut = new AtomicLong();
        Path target = out;
        Runnable worker = () -> {
            for (int i = next.getAndIncrement(); i < files.size(); i = next.getAndIncrement()) {
                Path file = files.get(i);
                Path to = target.resolve(file.toString());
                if (Files.isRegularFile(to)) {
                    there.incrementAndGet();
                } else {
                    byte[] original = read(in.resolve(file.toString()));
                    Optional<byte[]> marked = isJpegName(file) ? RestartMarkers.add(original) : Optional.empty();
                    byte[] written = marked.orElse(original);
                    (marked.isPresent() ? reencoded : kept).incrementAndGet();
                    bytesIn.addAndGet(original.length);
                    bytesOut.addAndGet(written.length);
                    write(to, written);
                }
                progress.accept(done.incrementAndGet(), total);
            }
        };
        ExecutorService pool = Executors.newFixedThreadPool(threads, DaemonThreads.named("mobilevit-transcode"));
        try {
            List<Future<?>> workers = Stream.<Future<?>>generate(() -> pool.submit(worker)).limit(threads).toList();
            for (Future<?> f : workers) {
                f.get();
            }
        } catch (ExecutionException e) {
            next.set(files.size()); // the other workers stop after their current file
            if (e.getCause() instanceof UncheckedIOException io) {
                throw io.getCause();
            }
            throw new IllegalStateException("copying " + input + " failed", e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        } finally {
            pool.shutdownNow();
        }
        removeTemporaries(out);
        return new Summary(total, reencoded.get(), kept.get(), there.get(), bytesIn.get(), bytesOut.get());
    }

    /**
     * Whether training on {@code folder} would decode faster from a restart-marked copy: region
     * decoding is on and the folder's first image is a JPEG without the markers (a folder is
     * copied whole, so one file tells).
     */
    public static boolean wouldHelp(ImageFolder folder) {
        if (!JpegDecoder.decodesRegions() || folder.size() == 0) {
            return false;
        }
        try {
            byte[] first = ImageDecoding.read(folder.path(0));
            return first.length > 2 && (first[0] & 0xFF) == 0xFF && (first[1] & 0xFF) == 0xD8
                    && !RestartMarkers.present(first);
        } catch (UnreadableImageException e) {
            return false;
        }
    }

    /** The path with its longest existing start resolved to the real path (links followed). */
    private static Path real(Path path) throws IOException {
        Path absolute = path.toAbsolutePath().normalize();
        Path existing = absolute;
        while (!Files.exists(existing)) {
            existing = existing.getParent();
        }
        return existing.toRealPath().resolve(existing.relativize(absolute).toString());
    }

    private static boolean isJpegName(Path file) {
        String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
        return name.endsWith(".jpg") || name.endsWith(".jpeg");
    }

    private static byte[] read(Path file) {
        try {
            return Files.readAllBytes(file);
        } catch (IOException e) {
            throw new UncheckedIOException(new IOException("cannot read " + file + ": " + e.getMessage(), e));
        }
    }

    private static void write(Path file, byte[] bytes) {
        try {
            AtomicFiles.write(file, stream -> stream.write(bytes));
        } catch (IOException e) {
            throw new UncheckedIOException(new IOException("cannot write " + file + ": " + e.getMessage(), e));
        }
    }

    private static void removeTemporaries(Path out) throws IOException {
        if (!Files.isDirectory(out)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(out)) {
            for (Path p : walk.filter(p -> TEMPORARY.matcher(p.getFileName().toString()).matches()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
