package mobilevit.launch;

import ai.djl.MalformedModelException;
import ai.djl.inference.Predictor;
import ai.djl.modality.Classifications;
import ai.djl.modality.cv.Image;
import ai.djl.ndarray.NDManager;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ModelNotFoundException;
import ai.djl.repository.zoo.ZooModel;
import ai.djl.translate.TranslateException;

import mobilevit.core.UserError;
import mobilevit.data.codec.UnreadableImageException;
import mobilevit.data.dataset.ImageNetClasses;
import mobilevit.data.pipeline.EvalTransform;
import mobilevit.data.pipeline.Interpolation;
import mobilevit.evaluation.ImageClassifier;
import mobilevit.evaluation.OnnxFile;
import mobilevit.model.Variant;
import mobilevit.model.WeightsMismatchException;
import mobilevit.trainer.checkpoint.Checkpoint;
import mobilevit.trainer.checkpoint.CheckpointStore;
import mobilevit.trainer.config.TrainConfig;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.stream.IntStream;

/**
 * {@code predict}: the top-5 classes of images through {@link ImageClassifier}, named by ImageNet's
 * labels (a 1000-class head) or by the classes a checkpoint was trained on.
 */
@Command(name = "predict", mixinStandardHelpOptions = true,
        description = "Print the top-5 classes of each image (eval transform: shorter side 288, centre crop 256;"
                + " a checkpoint's own eval.resize and eval.crop) by a checkpoint's EMA weights and class names, or by"
                + " --weights of the --variant given.")
final class PredictCommand implements Runnable {

    @Mixin
    CheckpointOrWeights source;

    @Option(names = "--top", defaultValue = "5", description = "classes shown per image (default ${DEFAULT-VALUE})")
    int top;

    @Option(names = "--interpolation",
            description = "bilinear or bilinear-antialias (default bilinear, or the checkpoint's data.interpolation)")
    String interpolation;

    @Parameters(arity = "1..*", paramLabel = "IMAGE", description = "image files")
    List<Path> images;

    /** What is loaded: a weights file of a model (or an ONNX file), the name of each of its outputs, and the transform. */
    private record Model(Path weights, Variant variant, OnnxFile onnx, List<String> labels, EvalTransform transform) {

        Criteria<Image, Classifications> criteria(int topK) {
            return onnx != null ? ImageClassifier.criteria(onnx, labels, topK, transform)
                    : ImageClassifier.criteria(weights, variant, labels, topK, transform);
        }
    }

    @Override
    public void run() {
        Args.positive("--top", top);
        Model m = source.checkpoint() != null ? fromCheckpoint()
                : OnnxFile.isOnnx(source.weights()) ? fromOnnx() : fromWeights();
        int k = Math.min(top, m.labels.size());
        try (ZooModel<Image, Classifications> model = m.criteria(k).loadModel();
                Predictor<Image, Classifications> predictor = model.newPredictor()) {
            for (Path image : images) {
                Classifications result = predictor.predict(read(image));
                System.out.println(image);
                for (Classifications.Classification c : result.topK(k)) {
                    System.out.printf(Locale.ROOT, "  %6.2f%%  %s%n", 100 * c.getProbability(), c.getClassName());
                }
            }
        } catch (TranslateException e) {
            // the weights are loaded with the first image (ImageClassifier.prepare)
            if (e.getCause() instanceof UserError u) {
                throw u;
            }
            if (e.getCause() instanceof WeightsMismatchException w) {
                throw new UserError(w.getMessage());
            }
            throw new IllegalStateException("prediction failed: " + e.getMessage(), e);
        } catch (ModelNotFoundException | MalformedModelException | IOException e) {
            throw new IllegalStateException("cannot set up the model: " + e.getMessage(), e);
        }
    }

    /** An exported file: its classes (ImageNet's names for 1000) and the crop its input fixes. */
    private Model fromOnnx() {
        OnnxFile onnx = OnnxFile.read(source.weights());
        source.sameAsOnnx(onnx);
        return new Model(onnx.file(), null, onnx, labels(onnx.classes(), List.of()), new EvalTransform(onnx.resize(),
                onnx.crop(), Args.choice(Interpolation::parse, interpolation == null ? "bilinear" : interpolation)));
    }

    private Model fromWeights() {
        Variant variant = source.variant()
                .orElseThrow(() -> new UserError("--variant is required with --weights"));
        int numClasses = source.classes();
        return new Model(Args.existingFile("weights file", source.weights()), variant, null,
                labels(numClasses, List.of()), EvalTransform.paper(Args.choice(Interpolation::parse,
                        interpolation == null ? "bilinear" : interpolation)));
    }

    /** The checkpoint's EMA weights, model, class names and evaluation transform. */
    private Model fromCheckpoint() {
        try (NDManager manager = NDManager.newBaseManager()) {
            Checkpoint.Contents c = Checkpoint.read(CheckpointStore.resolve(source.checkpoint()), manager);
            TrainConfig cfg = c.config();
            source.sameAsCheckpoint(cfg.model());
            Interpolation mode = interpolation == null ? cfg.data().interpolation()
                    : Args.choice(Interpolation::parse, interpolation);
            return new Model(c.weightsFile(Checkpoint.Weights.EMA), cfg.model().variant(), null,
                    labels(cfg.model().numClasses(), c.classNames().orElse(List.of())),
                    new EvalTransform(cfg.eval().resize(), cfg.eval().crop(), mode));
        }
    }

    /**
     * The label of each output: its name ("wnid name" for an ImageNet wnid), "class N" where
     * {@code names} has none; ImageNet's labels for a 1000-class head without names.
     */
    private static List<String> labels(int numClasses, List<String> names) {
        if (names.isEmpty() && numClasses == 1000) {
            return ImageNetClasses.labels();
        }
        return IntStream.range(0, numClasses).mapToObj(c -> c >= names.size() ? "class " + c
                : ImageNetClasses.synonyms(names.get(c)) == null ? names.get(c)
                : names.get(c) + " " + ImageNetClasses.name(names.get(c))).toList();
    }

    private static Image read(Path image) {
        try {
            return ImageClassifier.read(Args.existingFile("image", image));
        } catch (UnreadableImageException e) {
            throw new UserError("cannot read image " + image + ": " + e.getMessage());
        }
    }
}
