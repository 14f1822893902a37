package mobilevit.evaluation;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.modality.Classifications;
import ai.djl.modality.cv.Image;
import ai.djl.modality.cv.ImageFactory;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.repository.zoo.Criteria;
import ai.djl.translate.Translator;
import ai.djl.translate.TranslatorContext;

import mobilevit.data.codec.ImageDecoding;
import mobilevit.data.codec.UnreadableImageException;
import mobilevit.data.pipeline.EvalTransform;
import mobilevit.model.MobileViT;
import mobilevit.model.Variant;
import mobilevit.model.WeightsFile;

import java.awt.image.BufferedImage;
import java.awt.image.DataBufferByte;
import java.nio.file.Path;
import java.util.List;

/**
 * MobileViT through DJL's standard inference API: {@link #criteria} gives a {@link Criteria} from
 * {@link Image} to {@link Classifications} for a weights file (released CVNets or Hugging Face
 * weights as safetensors or {@code torch.save} {@code .pt}/{@code .bin}, or a checkpoint's
 * {@code ema.safetensors}/{@code model.safetensors}; see {@link WeightsFile#read}), or for an
 * exported ONNX file, run on DJL's ONNX Runtime engine ({@link OnnxFile}).
 * Images get the paper's evaluation transform (shorter side 288, centre crop 256, BGR, [0, 1]);
 * {@link #read} decodes a file as the evaluation does. {@code predict} is built on this class.
 */
public final class ImageClassifier implements Translator<Image, Classifications> {

    private final Path weights;
    private final EvalTransform transform;
    private final List<String> classNames;
    private final int topK;

    private ImageClassifier(Path weights, EvalTransform transform, List<String> classNames, int topK) {
        this.weights = weights;
        this.transform = transform;
        this.classNames = classNames;
        this.topK = topK;
    }

    /**
     * @param weights a safetensors or torch.save file of a model of {@code variant} with {@code classNames.size()} classes
     * @param classNames the label of each output, in order
     * @param topK classes kept in each result
     */
    public static Criteria<Image, Classifications> criteria(Path weights, Variant variant, List<String> classNames,
            int topK) {
        return criteria(weights, variant, classNames, topK, EvalTransform.paper());
    }

    /** As {@link #criteria(Path, Variant, List, int)}, with another evaluation transform (e.g. PIL's antialiased bilinear). */
    public static Criteria<Image, Classifications> criteria(Path weights, Variant variant, List<String> classNames,
            int topK, EvalTransform transform) {
        Path file = weights.toAbsolutePath();
        return Criteria.builder()
                .setTypes(Image.class, Classifications.class)
                .optModelPath(file.getParent())
                .optModelName(file.getFileName().toString())
                .optEngine("PyTorch")
                .optBlock(MobileViT.builder().setVariant(variant).optNumClasses(classNames.size()).build())
                .optOption("hasParameter", "false") // weights come from the weights file, in prepare()
                .optTranslator(new ImageClassifier(weights, transform, classNames, topK))
                .build();
    }

    /** As {@link #criteria(Path, Variant, List, int, EvalTransform)} for an exported file, on ONNX Runtime. */
    public static Criteria<Image, Classifications> criteria(OnnxFile onnx, List<String> classNames, int topK,
            EvalTransform transform) {
        return Criteria.builder()
                .setTypes(Image.class, Classifications.class)
                .optModelPath(onnx.file().toAbsolutePath().getParent())
                .optModelName(onnx.stem())
                .optEngine(OnnxFile.ENGINE)
                .optDevice(Device.cpu()) // ONNX Runtime's CPU build
                .optTranslator(new ImageClassifier(onnx.file(), transform, classNames, topK))
                .build();
    }

    /**
     * An image file decoded as {@code eval} decodes it (CVNets v0.1's {@code cv2.imread}: EXIF
     * orientation applied, grayscale and CMYK converted, the format taken from the content), as a
     * DJL image; {@code ImageFactory.fromFile} decodes through Java's ImageIO instead, whose pixels
     * can differ.
     */
    public static Image read(Path file) throws UnreadableImageException {
        ImageDecoding.Pixels pixels = ImageDecoding.decode(ImageDecoding.read(file));
        BufferedImage image = new BufferedImage(pixels.width(), pixels.height(), BufferedImage.TYPE_3BYTE_BGR);
        byte[] raster = ((DataBufferByte) image.getRaster().getDataBuffer()).getData(); // B, G, R per pixel
        System.arraycopy(pixels.bgr(), 0, raster, 0, raster.length);
        return ImageFactory.getInstance().fromImage(image);
    }

    /**
     * Initialises a MobileViT block in the model's manager and loads the weights file, once (an ONNX
     * file's block comes with its weights).
     */
    @Override
    public void prepare(TranslatorContext ctx) {
        Model model = ctx.getModel();
        if (!(model.getBlock() instanceof MobileViT block)) {
            return;
        }
        synchronized (block) {
            if (!block.isInitialized()) {
                NDManager manager = model.getNDManager();
                block.initialize(manager, DataType.FLOAT32, new Shape(1, 3, 256, 256));
                WeightsFile.load(block, weights);
            }
        }
    }

    @Override
    public NDList processInput(TranslatorContext ctx, Image input) {
        NDArray rgb = input.toNDArray(ctx.getNDManager(), Image.Flag.COLOR); // [H, W, 3] uint8, RGB
        int h = (int) rgb.getShape().get(0);
        int w = (int) rgb.getShape().get(1);
        byte[] bgr = rgb.flip(2).toByteArray(); // the released weights expect BGR
        int crop = transform.crop();
        return new NDList(ctx.getNDManager().create(transform.applyDecoded(bgr, h, w), new Shape(3, crop, crop)));
    }

    @Override
    public Classifications processOutput(TranslatorContext ctx, NDList list) {
        return new Classifications(classNames, list.singletonOrThrow().softmax(-1), topK);
    }
}
