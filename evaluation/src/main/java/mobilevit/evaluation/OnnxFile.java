package mobilevit.evaluation;

import ai.djl.Device;
import ai.djl.MalformedModelException;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDList;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ModelNotFoundException;
import ai.djl.repository.zoo.ZooModel;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;

import mobilevit.core.UserError;
import mobilevit.data.pipeline.EvalTransform;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * An exported MobileViT as an ONNX file ({@code export}): input {@value #INPUT} [N, 3, H, W] float32
 * (BGR, [0, 1], the evaluation transform's pixels), output [N, classes] logits. What it is, read
 * from the file itself: the class count from the output's shape (or the {@value #CLASSES_KEY}
 * metadata entry where that dimension is dynamic), the variant from the {@value #VARIANT_KEY}
 * metadata entry when the exporter wrote one, and the input's side when it is fixed. It runs on
 * DJL's ONNX Runtime engine ({@link #load}).
 */
public final class OnnxFile {

    /** The input every MobileViT export has; any other is refused. */
    public static final String INPUT = "pixels";
    /** DJL's name of its ONNX Runtime engine. */
    public static final String ENGINE = "OnnxRuntime";
    static final String VARIANT_KEY = "variant";
    static final String CLASSES_KEY = "num_classes";
    static final String RESIZE_KEY = "eval_resize";
    static final String CROP_KEY = "eval_crop";

    private final Path file;
    private final int classes;
    private final String variant;
    private final int side;
    private final Map<String, String> metadata;

    private OnnxFile(Path file, int classes, String variant, int side, Map<String, String> metadata) {
        this.file = file;
        this.classes = classes;
        this.variant = variant;
        this.side = side;
        this.metadata = Map.copyOf(metadata);
    }

    /** Whether {@code weights} names an ONNX file (by its extension, as {@code export --output} writes it). */
    public static boolean isOnnx(Path weights) {
        return weights.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".onnx");
    }

    /**
     * Reads what the file is without running it.
     *
     * @throws UserError if it is not an ONNX model, or not one with the input {@value #INPUT} [N, 3, H, W]
     *     and one [N, classes] output
     */
    public static OnnxFile read(Path file) {
        if (!Files.isRegularFile(file)) {
            throw new UserError("ONNX file " + file + (Files.exists(file) ? " is not a file" : " does not exist"));
        }
        Engine.getEngine(ENGINE); // DJL's engine makes ONNX Runtime's one environment, with its settings
        try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
            options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.NO_OPT); // only its signature is read
            try (OrtSession session = OrtEnvironment.getEnvironment().createSession(file.toString(), options)) {
                Map<String, NodeInfo> inputs = session.getInputInfo();
                if (inputs.size() != 1 || !inputs.containsKey(INPUT)) {
                    throw new UserError("ONNX file " + file + " has the input(s) " + inputs.keySet() + ", not the one"
                            + " input '" + INPUT + "' [N, 3, H, W] of a MobileViT export (launch/mobilevit export)");
                }
                long[] in = shape(session.getInputInfo().get(INPUT));
                if (in.length != 4 || in[1] != 3) {
                    throw new UserError("ONNX file " + file + ": input '" + INPUT + "' has the shape "
                            + Arrays.toString(in) + ", not [N, 3, H, W]");
                }
                Map<String, NodeInfo> outputs = session.getOutputInfo();
                long[] out = outputs.size() == 1 ? shape(outputs.values().iterator().next()) : new long[0];
                if (out.length != 2) {
                    throw new UserError("ONNX file " + file + " has the output(s) " + outputs.keySet()
                            + ", not one [N, classes] output");
                }
                Map<String, String> metadata = session.getMetadata().getCustomMetadata();
                int classes = out[1] > 0 ? Math.toIntExact(out[1]) : classesFromMetadata(file, metadata);
                int side = in[2] > 0 && in[2] == in[3] ? Math.toIntExact(in[2]) : 0;
                return new OnnxFile(file, classes, metadata.get(VARIANT_KEY), side, metadata);
            }
        } catch (OrtException e) {
            throw new UserError("cannot read ONNX file " + file + ": " + e.getMessage().lines().findFirst().orElse(""));
        }
    }

    private static long[] shape(NodeInfo node) {
        return node.getInfo() instanceof TensorInfo t ? t.getShape() : new long[0];
    }

    private static int classesFromMetadata(Path file, Map<String, String> metadata) {
        String value = metadata.get(CLASSES_KEY);
        try {
            return Integer.parseInt(value);
        } catch (NumberFormatException e) {
            throw new UserError("ONNX file " + file + ": its output's class dimension is dynamic and its metadata '"
                    + CLASSES_KEY + "' is " + (value == null ? "missing" : "'" + value + "'"));
        }
    }

    public Path file() {
        return file;
    }

    /** The file's name without {@code .onnx}: DJL's model name, the engine adding the extension. */
    String stem() {
        String name = file.getFileName().toString();
        return name.substring(0, name.length() - ".onnx".length());
    }

    public int classes() {
        return classes;
    }

    /** The variant the exporter recorded (xxs, xs, s), if it did. */
    public Optional<String> variant() {
        return Optional.ofNullable(variant);
    }

    /**
     * The evaluation's centre crop for the file: the side its input fixes; where H and W are free,
     * the crop its {@value #CROP_KEY} metadata records (the source checkpoint's), else 256.
     */
    public int crop() {
        return side > 0 ? side : recorded(CROP_KEY).orElse(EvalTransform.PAPER_CROP);
    }

    /**
     * The evaluation's shorter side before the crop: the {@value #RESIZE_KEY} metadata where it was
     * recorded for this crop, else 9/8 of the crop (the paper's 288 for 256).
     */
    public int resize() {
        return recorded(CROP_KEY).filter(c -> c == crop()).flatMap(c -> recorded(RESIZE_KEY))
                .orElse(crop() * 9 / 8);
    }

    private Optional<Integer> recorded(String key) {
        try {
            return Optional.ofNullable(metadata.get(key)).map(Integer::valueOf).filter(v -> v > 0);
        } catch (NumberFormatException e) {
            return Optional.empty(); // a file of another exporter: the defaults
        }
    }

    /**
     * The file on DJL's ONNX Runtime engine, its block taking [N, 3, H, W] float32 of any engine.
     *
     * @param intraOpThreads ONNX Runtime's intra-op threads, 0 for its default (one per physical core)
     */
    public ZooModel<NDList, NDList> load(int intraOpThreads) {
        Criteria.Builder<NDList, NDList> criteria = Criteria.builder()
                .setTypes(NDList.class, NDList.class)
                .optModelPath(file.toAbsolutePath().getParent())
                .optModelName(stem())
                .optEngine(ENGINE)
                .optDevice(Device.cpu()); // ONNX Runtime's CPU build
        if (intraOpThreads > 0) {
            criteria.optOption("intraOpNumThreads", String.valueOf(intraOpThreads))
                    .optOption("interOpNumThreads", "1");
        }
        try {
            return criteria.build().loadModel();
        } catch (ModelNotFoundException | MalformedModelException | IOException e) {
            throw new UserError("cannot load ONNX file " + file + ": " + e.getMessage());
        }
    }
}
