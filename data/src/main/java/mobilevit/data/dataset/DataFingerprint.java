package mobilevit.data.dataset;

import mobilevit.core.Sha256;

import java.util.Arrays;
import java.util.List;

/**
 * What a split held, to tell later whether it is still the same: its classes in label order, the
 * images of each, and the SHA-256 of the sorted relative paths ({@code class/file}, one per line,
 * UTF-8). Made from the folder index ({@link ImageFolder#fingerprint}); no image is read.
 *
 * @param classes class names in label order
 * @param imagesPerClass images of each class, in the same order
 * @param pathsSha256 lowercase hex SHA-256 of the sorted paths
 */
public record DataFingerprint(List<String> classes, List<Integer> imagesPerClass, String pathsSha256) {

    public DataFingerprint {
        classes = List.copyOf(classes);
        imagesPerClass = List.copyOf(imagesPerClass);
        if (classes.size() != imagesPerClass.size()) {
            throw new IllegalArgumentException(classes.size() + " classes but " + imagesPerClass.size() + " counts");
        }
    }

    /** The fingerprint of an index. */
    static DataFingerprint of(FolderIndex index) {
        Integer[] counts = new Integer[index.classes.size()];
        String[] paths = new String[index.files.length];
        for (int c = 0; c < counts.length; c++) {
            counts[c] = index.classStarts[c + 1] - index.classStarts[c];
            for (int i = index.classStarts[c]; i < index.classStarts[c + 1]; i++) {
                paths[i] = index.classes.get(c) + "/" + index.files[i];
            }
        }
        Arrays.sort(paths);
        return new DataFingerprint(index.classes, List.of(counts), Sha256.ofLines(Arrays.asList(paths)));
    }

    /** All images. */
    public long images() {
        return imagesPerClass.stream().mapToLong(Integer::longValue).sum();
    }
}
