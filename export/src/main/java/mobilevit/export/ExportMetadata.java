package mobilevit.export;

import mobilevit.core.Sha256;
import mobilevit.model.Variant;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * What an exported file says about itself in its {@code metadata_props}: the variant, the class
 * count, how its input is prepared (the evaluation transform's resize and crop) and the source of
 * its weights with the file's SHA-256.
 *
 * @param resize the shorter side images are resized to before the centre crop
 * @param crop the side of the centre crop
 * @param source the weights file the model was read from (for a checkpoint, its weights file)
 * @param sourceSha256 hex SHA-256 of {@code source}'s bytes
 */
public record ExportMetadata(Variant variant, int numClasses, int resize, int crop, Path source, String sourceSha256) {

    /** The metadata of weights read from {@code source}, hashing the file. */
    public static ExportMetadata of(Variant variant, int numClasses, int resize, int crop, Path source)
            throws IOException {
        return new ExportMetadata(variant, numClasses, resize, crop, source, Sha256.of(source));
    }

    /** Key-value pairs, in the order they are written. */
    public Map<String, String> properties() {
        Map<String, String> p = new LinkedHashMap<>();
        p.put("variant", variant.id());
        p.put("num_classes", Integer.toString(numClasses));
        p.put("input", String.format(Locale.ROOT, "pixels [N,3,H,W] float32, BGR, values in [0,1]; images resized"
                + " (bilinear) so that the shorter side is %d, then centre-cropped to %dx%d", resize, crop, crop));
        p.put("source", source.getFileName().toString());
        p.put("source_sha256", sourceSha256);
        return p;
    }
}
