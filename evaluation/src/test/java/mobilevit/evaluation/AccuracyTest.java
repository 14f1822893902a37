package mobilevit.evaluation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

import com.google.gson.JsonObject;

import org.junit.jupiter.api.Test;

import java.util.List;

class AccuracyTest {

    @Test
    void countsTopOneAndTopFivePerClass() {
        try (NDManager m = NDManager.newBaseManager()) {
            // 7 classes; rows rank the classes 0..6 by score
            NDArray logits = m.create(new float[][] {
                {9, 8, 7, 6, 5, 4, 3},   // label 0: top-1
                {9, 8, 7, 6, 5, 4, 3},   // label 4: 5th -> top-5 only
                {9, 8, 7, 6, 5, 4, 3},   // label 5: 6th -> miss
                {1, 9, 2, 3, 4, 5, 6},   // label 1: top-1
            });
            Accuracy acc = new Accuracy(7);
            acc.add(logits, m.create(new long[] {0, 4, 5, 1}));
            assertEquals(4, acc.count());
            assertEquals(50.0, acc.top1(), 1e-12);
            assertEquals(75.0, acc.top5(), 1e-12);
            JsonObject json = acc.toJson(List.of("a", "b", "c", "d", "e", "f", "g"));
            assertEquals(4, json.getAsJsonArray("per_class").size());
            JsonObject classE = json.getAsJsonArray("per_class").get(2).getAsJsonObject();
            assertEquals("e", classE.get("name").getAsString());
            assertEquals(0.0, classE.get("top1").getAsDouble());
            assertEquals(100.0, classE.get("top5").getAsDouble());
            assertThrows(IllegalArgumentException.class,
                    () -> acc.add(logits.get("0:1"), m.create(new long[] {7})));
        }
    }
}
