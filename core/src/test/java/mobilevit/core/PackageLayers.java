package mobilevit.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * One-way dependencies between the packages of one module (ARCHITECTURE.md), read from its main
 * sources: a file may name its own package and those below it, never one above it, in an import, a
 * qualified name or a comment's link; and every file is in one of the layers. The layer {@code ""}
 * is the module's own package (a reference to it is a class name right after the module's package).
 */
public final class PackageLayers {

    private final List<String> layers;
    private final Pattern reference;

    /**
     * @param modulePackage the module's package, such as {@code mobilevit.data}
     * @param layers its packages below {@code modulePackage} from the top: each may use the ones after it
     */
    public PackageLayers(String modulePackage, List<String> layers) {
        this.layers = List.copyOf(layers);
        this.reference = Pattern.compile("\\b" + Pattern.quote(modulePackage) + "\\.(\\w+)");
    }

    /**
     * Fails naming each wrong reference in the {@code .java} files under {@code sources} (the module
     * package's folder), or when fewer than {@code minFiles} files were read there.
     */
    public void assertOneWay(Path sources, int minFiles) throws IOException {
        List<String> wrong = new ArrayList<>();
        int files = 0;
        try (Stream<Path> walk = Files.walk(sources)) {
            for (Path file : walk.filter(f -> f.toString().endsWith(".java")).sorted().toList()) {
                wrong.addAll(violations(sources.relativize(file).toString(), Files.readString(file)));
                files++;
            }
        }
        assertEquals(List.of(), wrong);
        assertTrue(files >= minFiles, files + " source files read from " + sources.toAbsolutePath());
    }

    /** What is wrong with one file, {@code file} relative to the module package's folder. */
    public List<String> violations(String file, String source) {
        int slash = file.indexOf('/');
        int rank = layers.indexOf(slash < 0 ? "" : file.substring(0, slash));
        if (rank < 0) {
            return List.of(file + " is in none of " + layers);
        }
        TreeSet<String> wrong = new TreeSet<>();
        Matcher m = reference.matcher(source);
        while (m.find()) {
            int used = layers.indexOf(layerOf(m.group(1)));
            if (used < 0) {
                wrong.add(file + " uses " + m.group() + ", which is in none of " + layers);
            } else if (used < rank) {
                wrong.add(file + " uses " + m.group());
            }
        }
        return List.copyOf(wrong);
    }

    /** The layer of the name after the module's package: a class (capitalized) is in the module's own package. */
    private static String layerOf(String name) {
        return Character.isUpperCase(name.charAt(0)) ? "" : name;
    }
}
