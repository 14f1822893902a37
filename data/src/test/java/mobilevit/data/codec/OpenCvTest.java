package mobilevit.data.codec;

import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** OpenCV's native library is loaded from the user's cache, extracted once, not from a fresh /tmp copy. */
class OpenCvTest {

    @Test
    void theLibraryIsMappedFromTheCacheFolder() throws Exception {
        OpenCv.load();
        List<String> mapped = Files.readAllLines(Path.of("/proc/self/maps")).stream()
                .filter(line -> line.contains("libopencv_java490")).map(line -> line.substring(line.indexOf('/')))
                .distinct().toList();
        assertEquals(1, mapped.size(), mapped.toString());
        Path library = Path.of(mapped.get(0));
        assumeTrue(!library.toString().contains("/target/classes/"), "loaded from unpacked classes: " + library);
        Path existing = OpenCv.cacheFolder();
        while (!Files.exists(existing)) {
            existing = existing.getParent();
        }
        assumeTrue(Files.isWritable(existing), "the cache folder cannot be made under " + existing);
        assertTrue(library.startsWith(OpenCv.cacheFolder()), library + " is not in " + OpenCv.cacheFolder());
        assertTrue(library.getFileName().toString().matches("libopencv_java490-[0-9a-f]{8}\\.so"), library.toString());
        try (var in = OpenCv.class.getResourceAsStream("/nu/pattern/opencv/linux/x86_64/libopencv_java490.so")) {
            assertEquals(in.transferTo(java.io.OutputStream.nullOutputStream()), Files.size(library), "complete");
        }
    }
}
