package mobilevit.data.dataset;

import mobilevit.core.UserError;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ImageFolderTest {

    @TempDir
    Path tmp;

    private Path touch(String relative) throws IOException {
        Path p = tmp.resolve("split").resolve(relative);
        Files.createDirectories(p.getParent());
        Files.write(p, new byte[] {1});
        return p;
    }

    private Path layout() throws IOException {
        touch("n02/b.JPEG");
        touch("n01/z.jpg");
        touch("n01/a.JPEG");
        touch("n01/sub/m.PNG");
        touch("n01/notes.txt");
        touch("n01/.hidden.JPEG");
        Files.createDirectories(tmp.resolve("split/n01/folder.JPEG"));
        Files.createDirectories(tmp.resolve("split/n015_empty"));
        touch(".cache/x.JPEG");
        return tmp.resolve("split");
    }

    @Test
    void classesAreSortedFoldersAndFilesSortedWithin() throws IOException {
        ImageFolder f = ImageFolder.open(layout(), null);
        assertEquals(List.of("n01", "n015_empty", "n02"), f.classes());
        assertEquals(4, f.size());
        List<String> files = new ArrayList<>();
        List<Integer> labels = new ArrayList<>();
        for (int i = 0; i < f.size(); i++) {
            files.add(f.root().relativize(f.path(i)).toString());
            labels.add(f.label(i));
        }
        assertEquals(List.of("n01/a.JPEG", "n01/sub/m.PNG", "n01/z.jpg", "n02/b.JPEG"), files);
        assertEquals(List.of(0, 0, 0, 2), labels);
    }

    @Test
    void badFoldersAreOneLineErrorsNamingThePath() throws IOException {
        Path missing = tmp.resolve("missing");
        assertMessage(missing, "does not exist");
        assertMessage(touch("file.JPEG"), "is not a folder");
        Path noClasses = Files.createDirectories(tmp.resolve("none"));
        Files.write(noClasses.resolve("loose.JPEG"), new byte[] {1});
        assertMessage(noClasses, "has no class subfolders");
        Path noImages = Files.createDirectories(tmp.resolve("empty/n01"));
        Files.write(noImages.resolve("readme.txt"), new byte[] {1});
        assertMessage(noImages.getParent(), "has no images");
    }

    private static void assertMessage(Path root, String text) {
        UserError e = assertThrows(UserError.class, () -> ImageFolder.open(root, null));
        assertEquals(UserError.BAD_INPUT, e.exitCode());
        assertTrue(e.getMessage().contains(root.toString()) && e.getMessage().contains(text), e.getMessage());
        assertEquals(-1, e.getMessage().indexOf('\n'));
    }

    @Test
    void theCachedIndexIsUsedUntilTheFolderChanges() throws IOException {
        Path root = layout();
        Path cache = tmp.resolve("cache");
        ImageFolder first = ImageFolder.open(root, cache);
        Path cacheFile;
        try (Stream<Path> s = Files.list(cache)) {
            cacheFile = s.filter(p -> p.toString().endsWith(".index")).findFirst().orElseThrow();
        }
        // Doctor the cache: if open() reads it, the doctored name shows up.
        Files.writeString(cacheFile, Files.readString(cacheFile).replace("\na.JPEG\n", "\ncached.JPEG\n"));
        ImageFolder cached = ImageFolder.open(root, cache);
        assertEquals(cached.root().resolve("n01/cached.JPEG"), cached.path(0));
        assertEquals(first.size(), cached.size());

        touch("n02/c.JPEG"); // changes n02's modification time
        ImageFolder rebuilt = ImageFolder.open(root, cache);
        assertEquals(5, rebuilt.size());
        assertEquals("a.JPEG", rebuilt.path(0).getFileName().toString());
        assertEquals("c.JPEG", rebuilt.path(4).getFileName().toString());

        Files.createDirectories(root.resolve("n00"));
        touch("n00/q.JPEG");
        ImageFolder moreClasses = ImageFolder.open(root, cache);
        assertEquals(List.of("n00", "n01", "n015_empty", "n02"), moreClasses.classes());
        assertEquals(3, moreClasses.label(5));
    }

    @Test
    void imageNetClassNames() {
        List<String> wnids = ImageNetClasses.wnids();
        assertEquals(1000, wnids.size());
        assertEquals("n01440764", wnids.get(0));
        assertEquals("n15075141", wnids.get(999));
        assertEquals("tench", ImageNetClasses.name("n01440764"));
        assertEquals("toilet tissue", ImageNetClasses.name("n15075141"));
        assertEquals("tench, Tinca tinca", ImageNetClasses.synonyms("n01440764"));
        assertEquals("s0001-plain-square", ImageNetClasses.name("s0001-plain-square"));
    }
}
