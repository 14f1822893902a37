package mobilevit.data.dataset;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import mobilevit.core.Sha256;
import mobilevit.core.UserError;
import mobilevit.data.codec.UserCache;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

/**
 * One split of an ImageNet-layout dataset, e.g. {@code root/train}: each non-hidden subfolder is a
 * class (its name, the wnid, in sorted order gives the label), and the images below it, sorted by
 * path, are its samples, so indices are the same on every machine. Files are taken as images by
 * their extension (.jpg, .jpeg, .png, ... in any case); whether they decode is only known when read.
 *
 * <p>The file list is cached in a file outside the dataset (by default under
 * {@code ~/.cache/mobilevit-djl/index}) and rebuilt when a folder of the split changes.
 */
public final class ImageFolder {

    private static final Logger LOG = LoggerFactory.getLogger(ImageFolder.class);

    private final Path root;
    private final FolderIndex index;
    private DataFingerprint fingerprint;

    private ImageFolder(Path root, FolderIndex index) {
        this.root = root;
        this.index = index;
    }

    /** Opens a split folder, with the index cache in the default cache folder. */
    public static ImageFolder open(Path root) {
        return open(root, defaultCacheFolder());
    }

    /**
     * Opens a split folder. {@code cacheFolder} holds the index cache (null: no cache).
     *
     * @throws UserError when the folder is missing, has no class folders or no images
     */
    public static ImageFolder open(Path root, Path cacheFolder) {
        if (!Files.exists(root)) {
            throw new UserError("image folder " + root + " does not exist");
        }
        if (!Files.isDirectory(root)) {
            throw new UserError("image folder " + root + " is not a folder");
        }
        Path absolute;
        try {
            absolute = root.toRealPath();
        } catch (IOException e) {
            throw new UserError("image folder " + root + " cannot be read: " + e.getMessage());
        }
        Path cacheFile = cacheFolder == null ? null : cacheFolder.resolve(cacheName(absolute));
        FolderIndex index = cacheFile == null ? null : FolderIndex.read(cacheFile, absolute);
        if (index == null || !index.isCurrent(absolute)) {
            long start = System.nanoTime();
            try {
                index = FolderIndex.walk(absolute, Math.max(4, 4 * Runtime.getRuntime().availableProcessors()));
            } catch (IOException e) {
                throw new UserError("image folder " + root + " cannot be read: " + e.getMessage());
            }
            LOG.info("indexed {}: {} images in {} classes ({} ms)", absolute, index.files.length,
                    index.classes.size(), (System.nanoTime() - start) / 1_000_000);
            if (cacheFile != null && index.isStorable() && !index.classes.isEmpty()) {
                try {
                    index.write(cacheFile, absolute);
                } catch (IOException e) {
                    LOG.warn("cannot write the index cache {}: {}", cacheFile, e.toString());
                }
            }
        }
        if (index.classes.isEmpty()) {
            throw new UserError("image folder " + root + " has no class subfolders");
        }
        if (index.files.length == 0) {
            throw new UserError("image folder " + root + " has no images (files named *."
                    + String.join(", *.", FolderIndex.EXTENSIONS.stream().sorted().toList()) + ")");
        }
        for (int c = 0; c < index.classes.size(); c++) {
            if (index.classStarts[c] == index.classStarts[c + 1]) {
                LOG.warn("class folder {} of {} has no images", index.classes.get(c), root);
            }
        }
        return new ImageFolder(absolute, index);
    }

    /** {@code $XDG_CACHE_HOME/mobilevit-djl/index}, else {@code ~/.cache/mobilevit-djl/index}. */
    public static Path defaultCacheFolder() {
        return UserCache.folder("index");
    }

    /** The index cache's file name: the first 96 bits of the SHA-256 of the folder's absolute path. */
    private static String cacheName(Path absolute) {
        return Sha256.of(absolute.toString()).substring(0, 24) + ".index";
    }

    /** The split folder (absolute, links resolved). */
    public Path root() {
        return root;
    }

    /** Number of images. */
    public int size() {
        return index.files.length;
    }

    /** Class names (wnids) in label order. */
    public List<String> classes() {
        return index.classes;
    }

    /** The split's classes, images per class and paths hash, computed once from the index. */
    public synchronized DataFingerprint fingerprint() {
        if (fingerprint == null) {
            fingerprint = DataFingerprint.of(index);
        }
        return fingerprint;
    }

    /** The file of sample {@code i}. */
    public Path path(int i) {
        return root.resolve(index.classes.get(label(i))).resolve(index.files[i]);
    }

    /** The label (class index) of sample {@code i}. */
    public int label(int i) {
        if (i < 0 || i >= index.files.length) {
            throw new IndexOutOfBoundsException("sample " + i + " of " + index.files.length);
        }
        int pos = Arrays.binarySearch(index.classStarts, i);
        if (pos >= 0) {
            // i starts a class; skip over empty classes that start at the same index
            while (index.classStarts[pos + 1] == i) {
                pos++;
            }
            return pos;
        }
        return -pos - 2;
    }
}
