package mobilevit.data.pipeline;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;

import mobilevit.data.Fixtures;
import mobilevit.data.dataset.ImageFolder;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The uint8 batch becomes, on the model's device, exactly the float32 pixels the loader used to make. */
class BatchTest {

    @TempDir
    Path tmp;

    @Test
    void everyByteValueBecomesItsFloat32Quotient() {
        int h = 16;
        int w = 16;
        ByteBuffer pixels = ByteBuffer.allocateDirect(3 * h * w);
        for (int i = 0; i < pixels.capacity(); i++) {
            pixels.put(i, (byte) i);
        }
        Batch batch = new Batch(new SampledBatch(0, 0, new Scale(h, w, 1), 0, 0, new int[][] {{0}}), h, w,
                new ByteBuffer[] {pixels}, new long[][] {{3}}, new int[][] {{0}}, List.of(), 0, new BatchMemory(1));
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray images = batch.images(manager, 0);
            assertEquals(DataType.FLOAT32, images.getDataType());
            float[] values = images.toFloatArray();
            for (int i = 0; i < values.length; i++) {
                assertEquals(i % 256 / 255.0f, values[i], "byte " + i % 256);
            }
        }
    }

    /** A closed batch's pixel memory goes to the loader's next batch; its images can no longer be read. */
    @Test
    void closingHandsThePixelMemoryBack() {
        BatchMemory memory = new BatchMemory(1);
        ByteBuffer first = memory.take(3000);
        Batch batch = new Batch(new SampledBatch(0, 4, new Scale(10, 10, 1), 0, 0, new int[][] {{0}}), 10, 10,
                new ByteBuffer[] {first}, new long[][] {{3}}, new int[][] {{0}}, List.of(), 0, memory);
        batch.close();
        batch.close();
        assertThrows(IllegalStateException.class, () -> batch.pixels(0));
        assertArrayEquals(new long[] {3}, batch.labelArray(0));
        assertSame(first, memory.take(300), "smaller batches reuse it");
        assertNotSame(first, memory.take(300), "it was given out once");
    }

    /** The fixtures' CVNets v0.1 evaluation tensors, through the loader's uint8 batch and the device division. */
    @Test
    void theEvaluationBatchOnTheDeviceEqualsCvnetsTensors() throws Exception {
        String[] images = {"img_500x375", "img_gray_320x240"};
        Path classDir = Files.createDirectories(tmp.resolve("val/c0"));
        for (String img : images) {
            Files.copy(Fixtures.file("preprocess_cv2/" + img + ".jpg"), classDir.resolve(img + ".jpg"));
        }
        ImageFolder folder = ImageFolder.open(tmp.resolve("val"), null);
        try (EvalLoader loader = new EvalLoader(folder, EvalTransform.paper(), 2, 2, 1);
             Batches pass = loader.batches(null);
             NDManager manager = NDManager.newBaseManager()) {
            Batch batch = pass.next();
            float[] values = batch.images(manager, 0).toFloatArray();
            int size = 3 * 256 * 256;
            for (int k = 0; k < images.length; k++) {
                assertEquals(images[k] + ".jpg", folder.path(batch.indices(0)[k]).getFileName().toString());
                float[] expected = Fixtures.npyFloats("preprocess_cv2/" + images[k] + "_eval_cv2_bgr_chw.npy");
                assertArrayEquals(expected, java.util.Arrays.copyOfRange(values, k * size, (k + 1) * size), images[k]);
            }
        }
    }
}
