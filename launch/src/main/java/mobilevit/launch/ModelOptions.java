package mobilevit.launch;

import mobilevit.model.Variant;

import picocli.CommandLine.Option;

/** {@code --variant} and {@code --classes}: the MobileViT a command builds (a picocli mixin). */
final class ModelOptions {

    /** ImageNet-1k's classes: the head of the paper's models and of released weights. */
    static final int IMAGENET_CLASSES = 1000;

    @Option(names = "--variant", required = true, description = "xxs, xs or s")
    String variant;

    @Option(names = "--classes", defaultValue = "" + IMAGENET_CLASSES,
            description = "classes of the head (default ${DEFAULT-VALUE})")
    int classes;

    /** The variant, refused in one line when it names none. */
    Variant variant() {
        return Args.choice(Variant::parse, variant);
    }

    /** The classes of the head, refused in one line when not positive. */
    int classes() {
        Args.positive("--classes", classes);
        return classes;
    }
}
