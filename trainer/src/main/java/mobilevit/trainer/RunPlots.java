package mobilevit.trainer;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
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

    private static final List<String> COLUMNS = List.of("epoch", "iterations", "train_loss", "val_top1", "ema_top1");
    /** What {@link mobilevit.data.AtomicFiles} leaves of a chart when the process is killed while writing it. */
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
        List<Map<String, String>> rows = csvRows(csv);
        for (int i = 0; i < rows.size(); i++) {
            Map<String, String> row = rows.get(i);
            try {
                epochs.add(Integer.parseInt(row.get("epoch")));
                step += Long.parseLong(row.get("iterations"));
                epochEnds.add(step);
                epochLoss.add(Double.parseDouble(row.get("train_loss")));
                top1.add(Double.parseDouble(row.get("val_top1")));
                emaTop1.add(Double.parseDouble(row.get("ema_top1")));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(csv + ", line " + (i + 2) + ": not a row of numbers (" + e.getMessage()
                        + ")");
            }
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

    /** The rows of metrics.csv by column name (none when the file is missing or has only its header). */
    private static List<Map<String, String>> csvRows(Path csv) throws IOException {
        List<Map<String, String>> rows = new ArrayList<>();
        if (!Files.isRegularFile(csv)) {
            return rows;
        }
        List<String> lines = Files.readAllLines(csv, StandardCharsets.UTF_8);
        if (lines.isEmpty()) {
            return rows;
        }
        List<String> header = Arrays.asList(lines.get(0).split(","));
        for (String column : COLUMNS) {
            if (!header.contains(column)) {
                throw new IllegalArgumentException(csv + " has no column '" + column + "' (header: " + lines.get(0) + ")");
            }
        }
        for (String line : lines.subList(1, lines.size())) {
            String[] f = line.split(",");
            Map<String, String> row = new TreeMap<>();
            for (int i = 0; i < Math.min(f.length, header.size()); i++) {
                row.put(header.get(i), f[i]);
            }
            rows.add(row);
        }
        return rows;
    }
}
