package mobilevit.launch;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

import mobilevit.core.AtomicFiles;
import mobilevit.core.UserError;
import mobilevit.data.codec.ImageDecoding;
import mobilevit.data.codec.UnreadableImageException;
import mobilevit.data.pipeline.EvalTransform;
import mobilevit.data.pipeline.Interpolation;
import mobilevit.model.Npy;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Path;

/** {@code preprocess}: the evaluation tensor of one image, for comparison with other implementations. */
@Command(name = "preprocess", mixinStandardHelpOptions = true,
        description = "Write the evaluation input of one image (shorter side 288, centre crop 256, BGR, [0,1]) "
                + "as a float32 .npy of shape [3,256,256].")
final class PreprocessCommand implements Runnable {

    @Option(names = "--image", required = true, description = "image file (JPEG, PNG, ...)")
    Path image;

    @Option(names = "--output", required = true, description = "the .npy file to write")
    Path output;

    @Option(names = "--interpolation", defaultValue = "bilinear",
            description = "bilinear (OpenCV, as CVNets v0.1) or bilinear-antialias (Pillow, as Hugging Face); "
                    + "default ${DEFAULT-VALUE}")
    String interpolation;

    @Override
    public void run() {
        Interpolation mode = Args.choice(Interpolation::parse, interpolation);
        EvalTransform transform = EvalTransform.paper(mode);
        float[] values;
        try {
            values = transform.apply(ImageDecoding.read(Args.existingFile("image", image)));
        } catch (UnreadableImageException e) {
            throw new UserError("cannot decode " + image + ": " + e.getMessage());
        }
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray x = manager.create(values, new Shape(3, transform.crop(), transform.crop()));
            AtomicFiles.write(output, out -> Npy.write(x, out));
            System.out.println("wrote " + output + " " + x.getShape() + " (" + mode.id() + ")");
        } catch (IOException e) {
            throw new UserError("cannot write " + output + ": " + e.getMessage(), 1);
        }
    }
}
