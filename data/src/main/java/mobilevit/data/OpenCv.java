package mobilevit.data;

import org.opencv.core.Core;

/** Loads OpenCV's native library (bundled in {@code org.openpnp:opencv}) once per JVM. */
public final class OpenCv {

    private OpenCv() {}

    private static final class Holder {
        static {
            nu.pattern.OpenCV.loadLocally();
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
}
