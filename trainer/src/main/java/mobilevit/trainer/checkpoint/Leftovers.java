package mobilevit.trainer.checkpoint;

import mobilevit.core.FileTrees;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * What killed writes leave in a folder of a run (temporary files and folders of atomic writes),
 * deleted when the next run starts there. Only for the one process that trains in the folder.
 */
public final class Leftovers {

    private Leftovers() {}

    /** Deletes the entries of {@code dir} whose names match {@code names} (folders with their content). */
    public static int remove(Path dir, Pattern names) throws IOException {
        if (!Files.isDirectory(dir)) {
            return 0;
        }
        List<Path> found;
        try (Stream<Path> s = Files.list(dir)) {
            found = s.filter(p -> names.matcher(p.getFileName().toString()).matches()).toList();
        }
        for (Path p : found) {
            FileTrees.delete(p);
        }
        return found.size();
    }
}
