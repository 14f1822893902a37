package mobilevit.export;

import mobilevit.core.AtomicFiles;
import mobilevit.model.MobileViT;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;

/**
 * Writes a MobileViT in eval mode as an ONNX file (opset 17, IR version 8): input {@code pixels}
 * [N, 3, H, W] float32 (BGR, [0, 1]), output {@code logits} [N, classes], the batch N free and
 * H x W fixed at export or free ({@link InputSize}). BatchNorm is folded into the convolutions and
 * the attention scale into the query projection; only standard operators of the default domain.
 */
public final class OnnxExport {

    public static final int OPSET = 17;
    /** The IR version of ONNX 1.12, the first release with opset 17. */
    static final int IR_VERSION = 8;

    private OnnxExport() {}

    /**
     * Writes {@code model}, its weights as float32, for inputs of {@code size} to {@code output},
     * atomically (temporary file, fsync, rename).
     *
     * @throws IOException if the file cannot be written
     */
    public static void write(MobileViT model, InputSize size, ExportMetadata metadata, Path output) throws IOException {
        byte[] bytes = modelProto(MobileViTGraph.build(model, size), metadata.properties()).toByteArray();
        AtomicFiles.write(output, out -> out.write(bytes));
    }

    /**
     * ModelProto: ir_version 1, producer_name 2, producer_version 3, graph 7, opset_import 8
     * (OperatorSetIdProto: domain 1, version 2; the default domain is the empty string),
     * metadata_props 14 (StringStringEntryProto: key 1, value 2).
     */
    private static Proto modelProto(OnnxGraph graph, Map<String, String> metadata) {
        Proto model = new Proto().int64(1, IR_VERSION).string(2, "mobilevit-djl").string(3, "0.1.0")
                .message(7, graph.toProto("mobilevit"))
                .message(8, new Proto().string(1, "").int64(2, OPSET));
        metadata.forEach((k, v) -> model.message(14, new Proto().string(1, k).string(2, v)));
        return model;
    }
}
