package mobilevit.data.pipeline;

import java.nio.file.Path;

/** An image left out of a batch because it could not be read or decoded, and why. */
public record SkippedImage(Path path, String reason) {}
