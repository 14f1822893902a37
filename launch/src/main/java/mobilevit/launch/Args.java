package mobilevit.launch;

import mobilevit.model.Variant;

import java.nio.file.Files;
import java.nio.file.Path;

/** Checks of command-line values that end in a one-line {@link UserError}. */
final class Args {

    private Args() {}

    static Variant variant(String name) {
        try {
            return Variant.parse(name);
        } catch (IllegalArgumentException e) {
            throw new UserError(e.getMessage());
        }
    }

    static void positive(String option, long value) {
        if (value <= 0) {
            throw new UserError(option + " must be positive, got " + value);
        }
    }

    static void checkImageSize(int h, int w) {
        if (h < 32 || w < 32) {
            throw new UserError("image size must be at least 32x32, got " + h + "x" + w);
        }
    }

    static Path existingFile(String what, Path file) {
        if (!Files.isRegularFile(file)) {
            throw new UserError(what + " " + file + (Files.exists(file) ? " is not a file" : " does not exist"));
        }
        if (!Files.isReadable(file)) {
            throw new UserError(what + " " + file + " is not readable");
        }
        return file;
    }
}
