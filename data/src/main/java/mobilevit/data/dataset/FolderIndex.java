package mobilevit.data.dataset;

import mobilevit.core.AtomicFiles;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitOption;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * The file list of an image folder ({@code <class>/**}/<image>), built by a parallel walk over the
 * class folders or read back from a cache file. The cache records the modification time of every
 * folder it saw: adding, removing or renaming a file or a class changes one of them, and then the
 * folder is walked again.
 */
final class FolderIndex {

    /** File types taken as images, as torchvision's ImageFolder does (case-insensitive). */
    static final Set<String> EXTENSIONS = Set.of("jpg", "jpeg", "png", "ppm", "bmp", "pgm", "tif", "tiff", "webp");
    private static final String MAGIC = "mobilevit-image-index 1";

    final List<String> classes;
    /** Files of class c are [classStarts[c], classStarts[c + 1]). */
    final int[] classStarts;
    /** Path of each file relative to its class folder, '/'-separated, sorted within the class. */
    final String[] files;
    /** Every folder walked (relative to the root, "" for the root) and its modification time. */
    private final List<Stamp> stamps;

    private record Stamp(String folder, long mtimeNanos) {}

    private record ClassFiles(List<String> files, List<Stamp> stamps) {}

    private FolderIndex(List<String> classes, int[] classStarts, String[] files, List<Stamp> stamps) {
        this.classes = classes;
        this.classStarts = classStarts;
        this.files = files;
        this.stamps = stamps;
    }

    /** Walks {@code root}: class folders are its non-hidden subfolders, in sorted order. */
    static FolderIndex walk(Path root, int threads) throws IOException {
        List<String> classes;
        try (Stream<Path> entries = Files.list(root)) {
            classes = entries.filter(Files::isDirectory).map(p -> p.getFileName().toString())
                    .filter(name -> !name.startsWith(".")).sorted().collect(Collectors.toList());
        }
        List<ClassFiles> perClass;
        ForkJoinPool pool = new ForkJoinPool(threads);
        try {
            perClass = pool.submit(() -> classes.parallelStream().map(c -> walkClass(root, c))
                    .collect(Collectors.toList())).get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while indexing " + root, e);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof UncheckedIOException u) {
                throw u.getCause();
            }
            throw new IllegalStateException("indexing " + root + " failed", e.getCause());
        } finally {
            pool.shutdown();
        }
        List<Stamp> stamps = new ArrayList<>();
        stamps.add(new Stamp("", mtime(root)));
        int[] starts = new int[classes.size() + 1];
        List<String> files = new ArrayList<>();
        for (int c = 0; c < classes.size(); c++) {
            starts[c] = files.size();
            files.addAll(perClass.get(c).files);
            stamps.addAll(perClass.get(c).stamps);
        }
        starts[classes.size()] = files.size();
        return new FolderIndex(List.copyOf(classes), starts, files.toArray(new String[0]), stamps);
    }

    private static ClassFiles walkClass(Path root, String className) {
        Path classDir = root.resolve(className);
        List<String> files = new ArrayList<>();
        List<Stamp> stamps = new ArrayList<>();
        try {
            Files.walkFileTree(classDir, EnumSet.of(FileVisitOption.FOLLOW_LINKS), Integer.MAX_VALUE,
                    new SimpleFileVisitor<>() {
                        @Override
                        public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) {
                            if (!dir.equals(classDir) && dir.getFileName().toString().startsWith(".")) {
                                return FileVisitResult.SKIP_SUBTREE;
                            }
                            stamps.add(new Stamp(relative(root, dir), attrs.lastModifiedTime().to(TimeUnit.NANOSECONDS)));
                            return FileVisitResult.CONTINUE;
                        }

                        @Override
                        public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
                            if (attrs.isRegularFile() && isImageName(file.getFileName().toString())) {
                                files.add(relative(classDir, file));
                            }
                            return FileVisitResult.CONTINUE;
                        }

                        @Override
                        public FileVisitResult visitFileFailed(Path file, IOException e) {
                            return FileVisitResult.CONTINUE; // a dangling link or a loop: not an image
                        }
                    });
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Collections.sort(files);
        return new ClassFiles(files, stamps);
    }

    static boolean isImageName(String name) {
        int dot = name.lastIndexOf('.');
        return !name.startsWith(".") && dot > 0
                && EXTENSIONS.contains(name.substring(dot + 1).toLowerCase(Locale.ROOT));
    }

    private static String relative(Path base, Path p) {
        return base.relativize(p).toString().replace(p.getFileSystem().getSeparator(), "/");
    }

    private static long mtime(Path p) throws IOException {
        return Files.getLastModifiedTime(p).to(TimeUnit.NANOSECONDS);
    }

    /** Whether no recorded folder has changed since the index was made. */
    boolean isCurrent(Path root) {
        for (Stamp s : stamps) {
            try {
                if (mtime(s.folder.isEmpty() ? root : root.resolve(s.folder)) != s.mtimeNanos) {
                    return false;
                }
            } catch (IOException e) {
                return false;
            }
        }
        return true;
    }

    /** Whether every name can be written one per line. */
    boolean isStorable() {
        for (String f : files) {
            if (f.indexOf('\n') >= 0 || f.indexOf('\r') >= 0) {
                return false;
            }
        }
        return true;
    }

    void write(Path cacheFile, Path root) throws IOException {
        AtomicFiles.write(cacheFile, out -> {
            Writer w = new OutputStreamWriter(out, StandardCharsets.UTF_8);
            w.write(MAGIC + "\n" + root + "\n" + stamps.size() + "\n");
            for (Stamp s : stamps) {
                w.write(s.mtimeNanos + " " + s.folder + "\n");
            }
            w.write(classes.size() + "\n");
            for (int c = 0; c < classes.size(); c++) {
                w.write((classStarts[c + 1] - classStarts[c]) + " " + classes.get(c) + "\n");
            }
            for (String f : files) {
                w.write(f + "\n");
            }
            w.flush();
        });
    }

    /** The cached index of {@code root}, or null when the file is missing, unreadable or for another folder. */
    static FolderIndex read(Path cacheFile, Path root) {
        try (BufferedReader r = new BufferedReader(new InputStreamReader(Files.newInputStream(cacheFile),
                StandardCharsets.UTF_8), 1 << 16)) {
            if (!MAGIC.equals(r.readLine()) || !root.toString().equals(r.readLine())) {
                return null;
            }
            int nStamps = Integer.parseInt(r.readLine());
            List<Stamp> stamps = new ArrayList<>(nStamps);
            for (int i = 0; i < nStamps; i++) {
                String line = r.readLine();
                int space = line.indexOf(' ');
                stamps.add(new Stamp(line.substring(space + 1), Long.parseLong(line.substring(0, space))));
            }
            int nClasses = Integer.parseInt(r.readLine());
            List<String> classes = new ArrayList<>(nClasses);
            int[] starts = new int[nClasses + 1];
            for (int c = 0; c < nClasses; c++) {
                String line = r.readLine();
                int space = line.indexOf(' ');
                starts[c + 1] = starts[c] + Integer.parseInt(line.substring(0, space));
                classes.add(line.substring(space + 1));
            }
            String[] files = new String[starts[nClasses]];
            for (int i = 0; i < files.length; i++) {
                files[i] = r.readLine();
                if (files[i] == null) {
                    return null;
                }
            }
            return new FolderIndex(List.copyOf(classes), starts, files, stamps);
        } catch (IOException | RuntimeException e) {
            return null; // missing or damaged: rebuilt
        }
    }
}
