package mobilevit.trainer.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;

import org.junit.jupiter.api.Test;

/** The run's counters as state.json holds them. */
class RunStateTest {

    @Test
    void aStateWithAMissingOrWrongFieldIsNamed() {
        RunState s = new RunState();
        s.epoch = 2;
        s.step = 40;
        JsonObject json = s.toJson(7);
        assertEquals(40, RunState.fromJson(json).step);
        json.add("epoch", new JsonArray());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> RunState.fromJson(json));
        assertEquals("state.json: 'epoch' is missing or not a number", e.getMessage());
        json.addProperty("epoch", 2);
        json.remove("global_step");
        assertEquals("state.json: 'global_step' is missing or not a number",
                assertThrows(IllegalArgumentException.class, () -> RunState.fromJson(json)).getMessage());
    }
}
