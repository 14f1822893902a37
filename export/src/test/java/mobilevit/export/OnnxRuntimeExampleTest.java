package mobilevit.export;

import static mobilevit.model.TensorAssert.assertClose;
import static mobilevit.model.TensorAssert.fixture;
import static mobilevit.model.TensorAssert.npy;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.training.ParameterStore;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;

import mobilevit.model.Autograd;
import mobilevit.model.MobileViT;
import mobilevit.model.Variant;
import mobilevit.model.WeightsFile;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/** The ONNX Runtime example of docs/export.md, compiled and run on an image's evaluation tensor. */
class OnnxRuntimeExampleTest {

    private static final Path ROOT = fixture("README.md").getParent().getParent();

    @TempDir
    Path dir;

    @Test
    void docsExampleGivesTheModelsLogits() throws Exception {
        Path weights = fixture("weights/xx_small_hf.safetensors");
        Path onnxFile = dir.resolve("mobilevit_xxs.onnx");
        try (NDManager m = NDManager.newBaseManager()) {
            Autograd.setEnabled(false);
            MobileViT model = WeightsFile.loadModel(weights, Variant.XXS, 1000, m);
            OnnxExport.write(model, InputSize.fixed(256, 256), ExportMetadata.of(Variant.XXS, 1000, 288, 256, weights), onnxFile);
            // the evaluation tensor of a photo as CVNets v0.1 prepares it: [3, 256, 256], BGR, [0, 1]
            NDArray image = npy(m, "preprocess_cv2/img_500x375_eval_cv2_bgr_chw.npy");
            float[][] logits = docsExample(onnxFile, image.toFloatArray());
            NDArray expected = model.forward(new ParameterStore(m, false), new NDList(image.expandDims(0)), false)
                    .singletonOrThrow();
            assertEquals(1, logits.length);
            assertClose("example logits", m.create(logits), expected, 1e-4, 1e-4);
        }
    }

    private static float[][] docsExample(Path onnxFile, float[] pixels) throws Exception {
        // docs:begin
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession session = env.createSession(onnxFile.toString())) {
            System.out.println(session.getMetadata().getCustomMetadata().get("input"));
            long[] shape = {1, 3, 256, 256}; // pixels: one image, BGR, values in [0, 1], row-major
            try (OnnxTensor input = OnnxTensor.createTensor(env, FloatBuffer.wrap(pixels), shape);
                    OrtSession.Result result = session.run(Map.of("pixels", input))) {
                float[][] logits = (float[][]) result.get("logits").orElseThrow().getValue();
                int best = 0;
                for (int c = 1; c < logits[0].length; c++) {
                    best = logits[0][c] > logits[0][best] ? c : best;
                }
                System.out.println("class " + best + ", logit " + logits[0][best]);
                return logits;
            }
        }
        // docs:end
    }

    @Test
    void docsShowExactlyTheTestedCode() throws Exception {
        String source = Files.readString(Path.of("src/test/java/mobilevit/export/OnnxRuntimeExampleTest.java"));
        String tested = source.substring(source.indexOf("// docs:begin") + "// docs:begin".length(),
                source.indexOf("// docs:end"));
        String page = Files.readString(ROOT.resolve("docs/export.md"));
        assertTrue(squash(page).contains(squash(tested)),
                "docs/export.md must show the code between docs:begin and docs:end:\n" + tested);
    }

    private static String squash(String code) {
        return code.replaceAll("\\s+", " ").trim();
    }
}
