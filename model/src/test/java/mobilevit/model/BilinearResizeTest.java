package mobilevit.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

import org.junit.jupiter.api.Test;

/** The interpolation weights against PyTorch's align_corners=False formula, worked by hand. */
class BilinearResizeTest {

    @Test
    void upsamplingFiveToSixUsesTorchSourceIndices() {
        // torch samples (o + 0.5) * 5/6 - 0.5 clamped at 0: 0, 0.75, 1.583, 2.417, 3.25, 4.083 (-> last)
        float[] expected = {
            1, 0, 0, 0, 0,
            0.25f, 0.75f, 0, 0, 0,
            0, 5 / 12f, 7 / 12f, 0, 0,
            0, 0, 7 / 12f, 5 / 12f, 0,
            0, 0, 0, 0.75f, 0.25f,
            0, 0, 0, 0, 1};
        assertArrayEquals(expected, BilinearResize.matrix(5, 6), 1e-6f);
    }

    @Test
    void downsamplingDoesNotAntialias() {
        // 4 -> 2: outputs sample at 0.5 and 2.5, i.e. means of pixel pairs (0,1) and (2,3) only
        float[] r = BilinearResize.matrix(4, 2);
        assertArrayEquals(new float[] {0.5f, 0.5f, 0, 0, 0, 0, 0.5f, 0.5f}, r, 0f);
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray x = m.arange(16f).reshape(1, 1, 4, 4);
            NDArray y = BilinearResize.resize(x, 2, 2);
            assertEquals(new Shape(1, 1, 2, 2), y.getShape());
            assertArrayEquals(new float[] {2.5f, 4.5f, 10.5f, 12.5f}, y.toFloatArray(), 1e-6f);
        }
    }
}
