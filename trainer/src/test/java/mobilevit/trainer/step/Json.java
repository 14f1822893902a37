package mobilevit.trainer.step;

import static mobilevit.model.TensorAssert.fixture;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;

/** Reads the JSON fixtures (exact doubles). */
final class Json {
    private Json() {}

    static JsonObject fixtureObject(String relative) {
        try {
            return JsonParser.parseString(Files.readString(fixture(relative))).getAsJsonObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Flattens nested arrays of numbers in row-major order. */
    static double[] flat(JsonElement e) {
        List<Double> out = new ArrayList<>();
        flatten(e, out);
        return out.stream().mapToDouble(Double::doubleValue).toArray();
    }

    private static void flatten(JsonElement e, List<Double> out) {
        if (e.isJsonArray()) {
            for (JsonElement x : (JsonArray) e) {
                flatten(x, out);
            }
        } else {
            out.add(e.getAsDouble());
        }
    }

    static long[] shape(JsonElement e) {
        List<Long> dims = new ArrayList<>();
        while (e.isJsonArray()) {
            dims.add((long) e.getAsJsonArray().size());
            e = e.getAsJsonArray().get(0);
        }
        return dims.stream().mapToLong(Long::longValue).toArray();
    }
}
