package mobilevit.data.codec;

import mobilevit.core.AtomicFiles;

import org.opencv.core.Core;

import java.io.IOException;
import java.io.InputStream;
import java.net.JarURLConnection;
import java.net.URISyntaxException;
import java.net.URL;
import java.net.URLConnection;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Locale;

/**
 * Loads OpenCV's native library (bundled in {@code org.openpnp:opencv}) once per JVM.
 *
 * <p>On Linux x86-64 the library (65 MB) is extracted once into
 * {@code $XDG_CACHE_HOME/mobilevit-djl/opencv/} (default {@code ~/.cache}), under a name that
 * carries its CRC from the jar, and loaded from there by every later JVM. openpnp's own loader
 * extracts it into a fresh {@code /tmp/opencv_openpnp*} folder at every start and deletes it at a
 * normal exit only, so every killed JVM left 65 MB behind. Where the cache cannot be written, the
 * openpnp loader is used as before.
 */
public final class OpenCv {

    private static final String RESOURCE = "/nu/pattern/opencv/linux/x86_64/libopencv_java490.so";

    private OpenCv() {}

    private static final class Holder {
        static {
            if (!loadFromCache()) {
                nu.pattern.OpenCV.loadLocally();
            }
            // The loaders run one image per worker thread; OpenCV's own thread pool on top of that
            // would only oversubscribe the cores.
            Core.setNumThreads(1);
        }

        static void touch() {}
    }

    /** Makes sure the native library is loaded; cheap after the first call. */
    public static void load() {
        Holder.touch();
    }

    /** Where {@link #load()} keeps the extracted library. */
    static Path cacheFolder() {
        return UserCache.folder("opencv");
    }

    private static boolean loadFromCache() {
        URL url = OpenCv.class.getResource(RESOURCE);
        if (url == null || !System.getProperty("os.name").equals("Linux")
                || !System.getProperty("os.arch").equals("amd64")) {
            return false;
        }
        try {
            Path library;
            if (url.getProtocol().equals("file")) { // classes not in a jar: load the file where it is
                library = Paths.get(url.toURI());
            } else {
                URLConnection connection = url.openConnection();
                if (!(connection instanceof JarURLConnection jar)) {
                    return false;
                }
                long crc = jar.getJarEntry().getCrc();
                long size = jar.getJarEntry().getSize();
                library = cacheFolder().resolve(String.format(Locale.ROOT, "libopencv_java490-%08x.so", crc));
                if (!Files.isRegularFile(library) || Files.size(library) != size) {
                    try (InputStream in = connection.getInputStream()) {
                        AtomicFiles.write(library, in::transferTo); // other JVMs may be extracting it too
                    }
                }
            }
            System.load(library.toString());
            return true;
        } catch (IOException | URISyntaxException | UnsatisfiedLinkError | SecurityException e) {
            return false;
        }
    }
}
