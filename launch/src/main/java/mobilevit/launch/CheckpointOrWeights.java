package mobilevit.launch;

import mobilevit.core.UserError;
import mobilevit.evaluation.OnnxFile;
import mobilevit.model.Variant;
import mobilevit.trainer.config.ModelSection;

import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.Optional;

/**
 * {@code --checkpoint PATH} or {@code --weights FILE} with {@code --variant} and {@code --classes}:
 * the model a command evaluates (a picocli mixin). A checkpoint names its own variant and classes;
 * given with it, they must be the checkpoint's.
 */
final class CheckpointOrWeights {

    @ArgGroup(exclusive = true, multiplicity = "1")
    Source source;

    static final class Source {
        @Option(names = "--checkpoint", required = true, description = "a checkpoint, a run folder or its checkpoints/")
        Path checkpoint;

        @Option(names = "--weights", required = true, description = WeightsOption.DESCRIPTION)
        Path weights;
    }

    @Option(names = "--variant", description = "xxs, xs or s (with --weights)")
    String variant;

    @Option(names = "--classes", description = "classes of the head (with --weights; default "
            + ModelOptions.IMAGENET_CLASSES + ")")
    Integer classes;

    /** The checkpoint given, or null with {@code --weights}. */
    Path checkpoint() {
        return source.checkpoint;
    }

    /** The weights file given, or null with {@code --checkpoint}. */
    Path weights() {
        return source.weights;
    }

    /** What was given, to name in a report. */
    Path path() {
        return source.checkpoint != null ? source.checkpoint : source.weights;
    }

    /** The {@code --variant} given, empty without one. */
    Optional<Variant> variant() {
        return Optional.ofNullable(variant).map(v -> Args.choice(Variant::parse, v));
    }

    /** The {@code --classes} given, or ImageNet's; refused in one line when not positive. */
    int classes() {
        int n = classes == null ? ModelOptions.IMAGENET_CLASSES : classes;
        Args.positive("--classes", n);
        return n;
    }

    /**
     * Refuses {@code group}, the options named {@code options} that choose among a checkpoint's
     * weights, when given (non-null) with {@code --weights}.
     */
    void checkpointOnly(Object group, String options) {
        if (group != null && source.checkpoint == null) {
            throw new UserError(options + " apply to --checkpoint, not to --weights");
        }
    }

    /** A {@code --variant} or {@code --classes} given with an ONNX file must be the file's (as far as it says). */
    void sameAsOnnx(OnnxFile onnx) {
        variant().ifPresent(v -> onnx.variant().filter(recorded -> Args.choice(Variant::parse, recorded) != v)
                .ifPresent(recorded -> {
                    throw new UserError("--variant " + variant + " does not match the variant " + recorded + " of "
                            + onnx.file() + "; leave --variant out with an ONNX file");
                }));
        if (classes != null && classes != onnx.classes()) {
            throw new UserError("--classes " + classes + " does not match the " + onnx.classes() + " classes of "
                    + onnx.file() + "; leave --classes out with an ONNX file");
        }
    }

    /**
     * A {@code --variant} or {@code --classes} given with {@code --checkpoint} must be the
     * checkpoint's: it is not an override.
     */
    void sameAsCheckpoint(ModelSection model) {
        if (variant().filter(v -> v != model.variant()).isPresent()) {
            throw new UserError("--variant " + variant + " does not match the checkpoint's model.variant "
                    + model.variant().id() + "; leave --variant out with --checkpoint");
        }
        if (classes != null && classes != model.numClasses()) {
            throw new UserError("--classes " + classes + " does not match the checkpoint's model.num_classes "
                    + model.numClasses() + "; leave --classes out with --checkpoint");
        }
    }
}
