package mobilevit.trainer.report;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;

import mobilevit.trainer.checkpoint.Leftovers;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * The plots of a run folder, from its own files: {@code loss.png} (each logged step's loss from
 * {@code log.jsonl} and each epoch's mean from {@code metrics.csv}), {@code lr.png} (the learning
 * rate of each logged step) and {@code top1.png} (raw and EMA validation top-1 per epoch). A run
 * that was interrupted, even before its first epoch ended, gives charts of what it logged.
 */
public final class RunPlots {

    /** The files written, in {@code plots/} of a run folder unless told otherwise. */
    public static final List<String> FILES = List.of("loss.png", "lr.png", "top1.png");

    /** What {@link mobilevit.core.AtomicFiles} leaves of a chart when the process is killed while writing it. */
    private static final Pattern LEFTOVER = Pattern.compile("\\.[a-z0-9]+\\.png\\.\\d+\\.tmp");

    private RunPlots() {}

    /** Deletes the temporary files a killed run left in {@code plotsDir}; returns how many. */
    public static int removeLeftovers(Path plotsDir) throws IOException {
        return Leftovers.remove(plotsDir, LEFTOVER);
    }

    /**
     * Writes the three charts of {@code runDir} into {@code plotsDir}, each atomically.
     *
     * @throws IllegalArgumentException when {@code runDir} has neither metrics.csv nor log.jsonl
     */
    public static void write(Path runDir, Path plotsDir) throws IOException {
        Path csv = runDir.resolve("metrics.csv");
        Path jsonl = runDir.resolve("log.jsonl");
        if (!Files.isRegularFile(csv) && !Files.isRegularFile(jsonl)) {
            throw new IllegalArgumentException(runDir + " is not a run folder (it has neither metrics.csv nor log.jsonl)");
        }
        TreeMap<Long, double[]> steps = loggedSteps(jsonl);
        List<Long> x = new ArrayList<>(steps.keySet());
        List<Double> loss = steps.values().stream().map(v -> v[0]).toList();
        List<Double> lr = steps.values().stream().map(v -> v[1]).toList();
        List<Integer> epochs = new ArrayList<>();
        List<Long> epochEnds = new ArrayList<>();
        List<Double> epochLoss = new ArrayList<>();
        List<Double> top1 = new ArrayList<>();
        List<Double> emaTop1 = new ArrayList<>();
        long step = 0;
        for (EpochMetrics.Row row : EpochMetrics.readCsv(csv)) {
            epochs.add(row.epoch());
            step += row.iterations();
            epochEnds.add(step);
            epochLoss.add(row.trainLoss());
            top1.add(row.top1());
            emaTop1.add(row.emaTop1());
        }
        LineChart.write(plotsDir.resolve("loss.png"), "Training loss", "step", "label-smoothed cross-entropy",
                List.of(new LineChart.Curve("logged step", x, loss),
                        new LineChart.Curve("epoch mean", epochEnds, epochLoss)));
        LineChart.write(plotsDir.resolve("lr.png"), "Learning rate", "step", "learning rate",
                List.of(new LineChart.Curve("lr", x, lr)));
        LineChart.write(plotsDir.resolve("top1.png"), "Validation top-1", "epoch", "top-1 (%)",
                List.of(new LineChart.Curve("raw weights", epochs, top1),
                        new LineChart.Curve("EMA weights", epochs, emaTop1)));
    }

    /**
     * Step -> (loss, lr) of each step line of log.jsonl. A resumed run logs some steps twice (the
     * later line wins), and a killed one may leave a cut-off last line, which is skipped.
     */
    private static TreeMap<Long, double[]> loggedSteps(Path jsonl) throws IOException {
        TreeMap<Long, double[]> steps = new TreeMap<>();
        if (!Files.isRegularFile(jsonl)) {
            return steps;
        }
        for (String line : Files.readAllLines(jsonl, StandardCharsets.UTF_8)) {
            JsonObject o;
            try {
                JsonElement e = JsonParser.parseString(line);
                if (!e.isJsonObject()) {
                    continue;
                }
                o = e.getAsJsonObject();
            } catch (JsonParseException cutOff) {
                continue;
            }
            if (o.has("step") && o.has("loss") && o.has("lr")) {
                steps.put(o.get("step").getAsLong(), new double[] {o.get("loss").getAsDouble(), o.get("lr").getAsDouble()});
            }
        }
        return steps;
    }
}
