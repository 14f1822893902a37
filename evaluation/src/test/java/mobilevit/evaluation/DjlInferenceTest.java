package mobilevit.evaluation;

import static mobilevit.model.TensorAssert.fixture;
import static mobilevit.model.TensorAssert.npy;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.inference.Predictor;
import ai.djl.modality.Classifications;
import ai.djl.modality.cv.Image;
import ai.djl.modality.cv.ImageFactory;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ZooModel;
import ai.djl.training.ParameterStore;

import mobilevit.data.dataset.ImageNetClasses;
import mobilevit.model.Autograd;
import mobilevit.model.MobileViT;
import mobilevit.model.TorchXxsWeights;
import mobilevit.model.Variant;
import mobilevit.model.WeightsFile;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** Inference through DJL's Criteria/Predictor API, and the example of docs/evaluation.md, compiled and run. */
class DjlInferenceTest {

    private static final Path ROOT = fixture("README.md").getParent().getParent();

    @Test
    @Tag("slow")
    void docsExampleRuns() throws Exception {
        Path weights = ROOT.resolve("fixtures/weights/xx_small_hf.safetensors");
        Path photo = ROOT.resolve("fixtures/preprocess/img_500x375.jpg");
        java.io.PrintStream stdout = System.out;
        java.io.ByteArrayOutputStream printed = new java.io.ByteArrayOutputStream();
        System.setOut(new java.io.PrintStream(printed, true, java.nio.charset.StandardCharsets.UTF_8));
        try {
            docsExample(weights, photo);
        } finally {
            System.setOut(stdout);
        }
        String out = printed.toString(java.nio.charset.StandardCharsets.UTF_8);
        assertEquals(5, java.util.regex.Pattern.compile("\\{\"className\": \"n\\d{8} ").matcher(out).results().count(), out);
    }

    private static void docsExample(Path weights, Path photo) throws Exception {
        // docs:begin
        Criteria<Image, Classifications> criteria =
                ImageClassifier.criteria(weights, Variant.XXS, ImageNetClasses.labels(), 5);
        try (ZooModel<Image, Classifications> model = criteria.loadModel();
                Predictor<Image, Classifications> predictor = model.newPredictor()) {
            Image image = ImageClassifier.read(photo);
            Classifications result = predictor.predict(image);
            System.out.println(result.topK(5));
        }
        // docs:end
    }

    @Test
    void docsShowExactlyTheTestedCode() throws Exception {
        String source = Files.readString(Path.of("src/test/java/mobilevit/evaluation/DjlInferenceTest.java"));
        String tested = source.substring(source.indexOf("// docs:begin") + "// docs:begin".length(),
                source.indexOf("// docs:end"));
        String page = Files.readString(ROOT.resolve("docs/evaluation.md"));
        assertTrue(squash(page).contains(squash(tested)),
                "docs/evaluation.md must show the code between docs:begin and docs:end:\n" + tested);
    }

    private static String squash(String code) {
        return code.replaceAll("\\s+", " ").trim();
    }

    @Test
    void probabilitiesEqualTheModelOnTheReferenceTensor() throws Exception {
        Path weights = fixture("weights/xx_small_cvnets.safetensors");
        List<String> labels = ImageNetClasses.labels();
        Classifications viaDjl;
        try (ZooModel<Image, Classifications> model = ImageClassifier.criteria(weights, Variant.XXS, labels, 5)
                .loadModel(); Predictor<Image, Classifications> predictor = model.newPredictor()) {
            // OpenCV's decode of the JPEG, stored losslessly: the same pixels as CVNets v0.1 sees
            viaDjl = predictor.predict(ImageFactory.getInstance()
                    .fromFile(fixture("preprocess_cv2/img_500x375_cv2_decoded_bgr.png")));
        }
        try (NDManager m = NDManager.newBaseManager()) {
            Autograd.setEnabled(false);
            MobileViT model = WeightsFile.loadModel(weights, Variant.XXS, 1000, m);
            NDArray x = npy(m, "preprocess_cv2/img_500x375_eval_cv2_bgr_chw.npy").expandDims(0);
            NDArray probs = model.forward(new ParameterStore(m, false), new NDList(x), false).singletonOrThrow()
                    .softmax(1);
            long[] best = probs.topK(5, 1, true, true).get(1).toLongArray();
            float[] p = probs.toFloatArray();
            List<Classifications.Classification> top = viaDjl.topK(5);
            for (int i = 0; i < 5; i++) {
                assertEquals(labels.get((int) best[i]), top.get(i).getClassName(), "rank " + i);
                assertEquals(p[(int) best[i]], top.get(i).getProbability(), 1e-6, "rank " + i);
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"img_500x375", "img_gray_320x240"})
    void readDecodesAsCvnetsDid(String name) throws Exception {
        Image read = ImageClassifier.read(fixture("preprocess_cv2/" + name + ".jpg"));
        // cv2.imread's pixels of the same JPEG, stored losslessly
        Image reference = ImageFactory.getInstance().fromFile(fixture("preprocess_cv2/" + name + "_cv2_decoded_bgr.png"));
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray ours = read.toNDArray(m, Image.Flag.COLOR);
            NDArray theirs = reference.toNDArray(m, Image.Flag.COLOR);
            assertEquals(theirs.getShape(), ours.getShape());
            assertArrayEquals(theirs.toByteArray(), ours.toByteArray());
        }
    }

    @Test
    @Tag("slow")
    void aTorchSaveFileClassifiesAsItsSafetensors() throws Exception {
        Path torchFile = TorchXxsWeights.file("xx_small_hf.bin");
        Image image = ImageFactory.getInstance().fromFile(fixture("preprocess/img_500x375.jpg"));
        List<Classifications.Classification> fromTorch = classify(torchFile, image);
        List<Classifications.Classification> fromSafetensors = classify(fixture("weights/xx_small_hf.safetensors"), image);
        for (int i = 0; i < 5; i++) {
            assertEquals(fromSafetensors.get(i).getClassName(), fromTorch.get(i).getClassName(), "rank " + i);
            assertEquals(fromSafetensors.get(i).getProbability(), fromTorch.get(i).getProbability(), 0, "rank " + i);
        }
    }

    private static List<Classifications.Classification> classify(Path weights, Image image) throws Exception {
        try (ZooModel<Image, Classifications> model = ImageClassifier.criteria(weights, Variant.XXS,
                ImageNetClasses.labels(), 5).loadModel(); Predictor<Image, Classifications> predictor = model.newPredictor()) {
            return predictor.predict(image).topK(5);
        }
    }
}
