package mobilevit.launch;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;

import mobilevit.data.EvalTransform;
import mobilevit.data.ImageDecoding;
import mobilevit.data.ImageNetClasses;
import mobilevit.data.Interpolation;
import mobilevit.data.UnreadableImageException;
import mobilevit.model.Autograd;
import mobilevit.model.MobileViT;
import mobilevit.model.UserError;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/** {@code predict}: the top-5 classes of images, with ImageNet names. */
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
        EvalTransform transform;
        try {
            transform = new EvalTransform(288, 256, Interpolation.parse(interpolation));
        } catch (IllegalArgumentException e) {
            throw new UserError(e.getMessage());
        }
        List<String> wnids = classes == 1000 ? ImageNetClasses.wnids() : null;
        try (NDManager manager = NDManager.newBaseManager()) {
            Autograd.setEnabled(false);
            MobileViT model = Args.model(weights, Args.variant(variant), classes, manager);
            int k = Math.min(top, classes);
            for (Path image : images) {
                float[] chw;
                try {
                    chw = transform.apply(ImageDecoding.read(Args.existingFile("image", image)));
                } catch (UnreadableImageException e) {
                    throw new UserError("cannot read image " + image + ": " + e.getMessage());
                }
                try (NDManager scope = manager.newSubManager()) {
                    NDArray x = scope.create(chw, new Shape(1, 3, transform.crop(), transform.crop()));
                    NDArray probs = model.forward(new ParameterStore(scope, false), new NDList(x), false)
                            .singletonOrThrow().softmax(1);
                    NDList best = probs.topK(k, 1, true, true);
                    float[] p = best.get(0).toFloatArray();
                    long[] c = best.get(1).toLongArray();
                    System.out.println(image);
                    for (int i = 0; i < k; i++) {
                        String name = wnids != null ? wnids.get((int) c[i]) + " " + ImageNetClasses.name(wnids.get((int) c[i]))
                                : "class " + c[i];
                        System.out.printf(Locale.ROOT, "  %6.2f%%  %s%n", 100 * p[i], name);
                    }
                }
            }
        }
    }
}
