package mobilevit.launch;

import ai.djl.MalformedModelException;
import ai.djl.inference.Predictor;
import ai.djl.modality.Classifications;
import ai.djl.modality.cv.Image;
import ai.djl.repository.zoo.ModelNotFoundException;
import ai.djl.repository.zoo.ZooModel;
import ai.djl.translate.TranslateException;

import mobilevit.core.UserError;
import mobilevit.data.EvalTransform;
import mobilevit.data.ImageNetClasses;
import mobilevit.data.Interpolation;
import mobilevit.data.UnreadableImageException;
import mobilevit.evaluation.ImageClassifier;
import mobilevit.model.Variant;
import mobilevit.model.WeightsMismatchException;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.stream.IntStream;

/** {@code predict}: the top-5 classes of images, with ImageNet names, through {@link ImageClassifier}. */
@Command(name = "predict", mixinStandardHelpOptions = true,
        description = "Print the top-5 classes of each image (eval transform: shorter side 288, centre crop 256).")
final class PredictCommand implements Runnable {

    @Option(names = "--weights", required = true, description = "safetensors or torch.save .pt/.bin (CVNets or Hugging Face names)")
    Path weights;

    @Option(names = "--variant", required = true, description = "xxs, xs or s")
    String variant;

    @Option(names = "--classes", defaultValue = "1000", description = "classes of the head (default ${DEFAULT-VALUE})")
    int classes;

    @Option(names = "--top", defaultValue = "5", description = "classes shown per image (default ${DEFAULT-VALUE})")
    int top;

    @Option(names = "--interpolation", defaultValue = "bilinear", description = "bilinear or bilinear-antialias")
    String interpolation;

    @Parameters(arity = "1..*", paramLabel = "IMAGE", description = "image files")
    List<Path> images;

    @Override
    public void run() {
        Args.positive("--classes", classes);
        Args.positive("--top", top);
        EvalTransform transform = new EvalTransform(288, 256, Args.choice(Interpolation::parse, interpolation));
        // ImageNet's "wnid name" labels for a 1000-class head, else the class index
        List<String> labels = classes == 1000 ? ImageNetClasses.labels()
                : IntStream.range(0, classes).mapToObj(c -> "class " + c).toList();
        int k = Math.min(top, classes);
        try (ZooModel<Image, Classifications> model = ImageClassifier.criteria(Args.existingFile("weights file",
                weights), Args.choice(Variant::parse, variant), labels, k, transform).loadModel();
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

    private static Image read(Path image) {
        try {
            return ImageClassifier.read(Args.existingFile("image", image));
        } catch (UnreadableImageException e) {
            throw new UserError("cannot read image " + image + ": " + e.getMessage());
        }
    }
}
