package mobilevit.data.dataset;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The 1000 ImageNet-1k (ILSVRC 2012) classes: wnid and WordNet synonyms, in label order (sorted
 * wnids), for printing predictions. The list is the ILSVRC 2012 devkit's {@code synset_words.txt}
 * as distributed with Caffe; two independent public copies were compared before it was added (same
 * 1000 wnids, sorted, n01440764 .. n15075141; the names differ only where one copy disambiguated
 * "crane" and "maillot").
 */
public final class ImageNetClasses {

    private static final String RESOURCE = "imagenet1k_synsets.txt";
    private static final Map<String, String> SYNONYMS = load();

    private ImageNetClasses() {}

    /** The 1000 wnids in label order. */
    public static List<String> wnids() {
        return List.copyOf(SYNONYMS.keySet());
    }

    /** "wnid name" of each class in label order ("n01440764 tench", ...), for printing results. */
    public static List<String> labels() {
        List<String> out = new ArrayList<>(SYNONYMS.size());
        SYNONYMS.keySet().forEach(w -> out.add(w + " " + name(w)));
        return out;
    }

    /** The comma-separated synonyms of a wnid ("tench, Tinca tinca"), or null if it is not an ImageNet-1k class. */
    public static String synonyms(String wnid) {
        return SYNONYMS.get(wnid);
    }

    /** A short name for printing: the first synonym of an ImageNet class, otherwise the class name itself. */
    public static String name(String className) {
        String synonyms = SYNONYMS.get(className);
        if (synonyms == null) {
            return className;
        }
        int comma = synonyms.indexOf(',');
        return comma < 0 ? synonyms : synonyms.substring(0, comma);
    }

    private static Map<String, String> load() {
        Map<String, String> map = new LinkedHashMap<>();
        try (InputStream in = ImageNetClasses.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException("resource " + RESOURCE + " is missing");
            }
            BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
            List<String> order = new ArrayList<>();
            for (String line = r.readLine(); line != null; line = r.readLine()) {
                int space = line.indexOf(' ');
                map.put(line.substring(0, space), line.substring(space + 1));
                order.add(line.substring(0, space));
            }
            List<String> sorted = new ArrayList<>(order);
            Collections.sort(sorted);
            if (map.size() != 1000 || !sorted.equals(order)) {
                throw new IllegalStateException("resource " + RESOURCE + " is not 1000 sorted wnids");
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return Collections.unmodifiableMap(map);
    }
}
