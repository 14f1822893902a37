package mobilevit.data.codec;

import java.nio.file.Path;
import java.nio.file.Paths;

/** The project's folder in the user's cache: {@code $XDG_CACHE_HOME/mobilevit-djl}, else {@code ~/.cache/mobilevit-djl}. */
public final class UserCache {

    private UserCache() {}

    /** The cache's sub-folder {@code name} (not created). */
    public static Path folder(String name) {
        String xdg = System.getenv("XDG_CACHE_HOME");
        Path base = xdg != null && !xdg.isEmpty() ? Paths.get(xdg) : Paths.get(System.getProperty("user.home"), ".cache");
        return base.resolve("mobilevit-djl").resolve(name);
    }
}
