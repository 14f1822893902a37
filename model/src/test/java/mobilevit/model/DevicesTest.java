package mobilevit.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;

import org.junit.jupiter.api.Test;

import java.util.List;

class DevicesTest {

    @Test
    void parsesEveryForm() {
        assertEquals(List.of(Device.cpu()), Devices.parse("cpu", 0));
        assertEquals(4, Devices.parse("cpu:4", 0).size());
        assertEquals(List.of(Device.gpu(0)), Devices.parse("gpu0", 1));
        assertEquals(List.of(Device.gpu(0), Device.gpu(1), Device.gpu(2)), Devices.parse("gpu0-2", 8));
        assertEquals(List.of(Device.gpu(1), Device.gpu(3)), Devices.parse("gpu1,3", 4));
        assertEquals(List.of(Device.gpu(0), Device.gpu(1)), Devices.parse("all", 2));
        assertEquals(List.of(Device.cpu()), Devices.parse("all", 0));
    }

    @Test
    void missingGpusAndNonsenseGetOneLine() {
        String none = assertThrows(IllegalArgumentException.class, () -> Devices.parse("gpu0-7", 0)).getMessage();
        assertTrue(none.contains("needs gpu7") && none.contains("sees no GPU"), none);
        String few = assertThrows(IllegalArgumentException.class, () -> Devices.parse("gpu0-7", 2)).getMessage();
        assertTrue(few.contains("has 2 GPU(s): gpu0-1"), few);
        String bad = assertThrows(IllegalArgumentException.class, () -> Devices.parse("tpu", 2)).getMessage();
        assertTrue(bad.contains("'tpu' not understood"), bad);
        assertThrows(IllegalArgumentException.class, () -> Devices.parse("gpu3-1", 8));
        assertThrows(IllegalArgumentException.class, () -> Devices.parse("gpu1,1", 8));
        assertThrows(IllegalArgumentException.class, () -> Devices.parse("cpu:0", 0));
    }
}
