package mobilevit.trainer.report;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;

import mobilevit.core.AtomicFiles;
import mobilevit.trainer.checkpoint.Checkpoint;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * One row per finished epoch, written as {@code metrics.csv}. Only values that a resumed run
 * reproduces exactly go here (no timings), so an interrupted and an uninterrupted run write the
 * same file byte for byte.
 */
public final class EpochMetrics {

    /** One finished epoch. */
    public record Row(int epoch, int iterations, long images, double trainLoss, double lr, double top1, double top5,
            double emaTop1, double emaTop5, long skippedTrain, long skippedVal) {}

    static final String HEADER = "epoch,iterations,images,train_loss,lr,val_top1,val_top5,ema_top1,ema_top5,"
            + "skipped_train,skipped_val";

    /** Its member of state.json. */
    private static final String STATE = "metrics";

    private final List<Row> rows = new ArrayList<>();

    public void add(Row row) {
        rows.add(row);
    }

    public List<Row> rows() {
        return List.copyOf(rows);
    }

    /** Best EMA top-1 so far (negative when no epoch finished). */
    public double bestEmaTop1() {
        return rows.stream().mapToDouble(Row::emaTop1).max().orElse(-1);
    }

    String csv() {
        StringBuilder sb = new StringBuilder(HEADER).append('\n');
        for (Row r : rows) {
            sb.append(String.format(Locale.ROOT, "%d,%d,%d,%.6f,%.8f,%.4f,%.4f,%.4f,%.4f,%d,%d%n", r.epoch, r.iterations,
                    r.images, r.trainLoss, r.lr, r.top1, r.top5, r.emaTop1, r.emaTop5, r.skippedTrain, r.skippedVal));
        }
        return sb.toString();
    }

    public void writeCsv(Path file) throws IOException {
        AtomicFiles.writeString(file, csv());
    }

    /** Hands the rows to a checkpoint's state.json. */
    public void export(JsonObject state) {
        JsonArray a = new JsonArray();
        for (Row r : rows) {
            a.add(Checkpoint.GSON.toJsonTree(r));
        }
        state.add(STATE, a);
    }

    /**
     * The rows of a run's {@code metrics.csv}, found by column name (none when the file is missing or
     * holds only its header).
     *
     * @throws IllegalArgumentException naming the file (and line) when a column is missing or a row
     *     is not one number per column
     */
    public static List<Row> readCsv(Path csv) throws IOException {
        if (!Files.isRegularFile(csv)) {
            return List.of();
        }
        List<String> lines = Files.readAllLines(csv, StandardCharsets.UTF_8);
        if (lines.isEmpty()) {
            return List.of();
        }
        List<String> header = Arrays.asList(lines.get(0).split(","));
        String[] columns = HEADER.split(",");
        int[] at = new int[columns.length];
        for (int c = 0; c < columns.length; c++) {
            at[c] = header.indexOf(columns[c]);
            if (at[c] < 0) {
                throw new IllegalArgumentException(csv + " has no column '" + columns[c] + "' (header: " + lines.get(0)
                        + ")");
            }
        }
        List<Row> rows = new ArrayList<>();
        for (int i = 1; i < lines.size(); i++) {
            String[] f = lines.get(i).split(",");
            if (f.length != header.size()) {
                throw new IllegalArgumentException(csv + ", line " + (i + 1) + ": " + f.length + " values, the header has "
                        + header.size());
            }
            try {
                rows.add(new Row(Integer.parseInt(f[at[0]]), Integer.parseInt(f[at[1]]), Long.parseLong(f[at[2]]),
                        Double.parseDouble(f[at[3]]), Double.parseDouble(f[at[4]]), Double.parseDouble(f[at[5]]),
                        Double.parseDouble(f[at[6]]), Double.parseDouble(f[at[7]]), Double.parseDouble(f[at[8]]),
                        Long.parseLong(f[at[9]]), Long.parseLong(f[at[10]])));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(csv + ", line " + (i + 1) + ": not a row of numbers (" + e.getMessage()
                        + ")");
            }
        }
        return rows;
    }

    /** The rows a checkpoint's {@code state.json} holds. */
    public static List<Row> fromState(JsonObject state) {
        return restore(state).rows();
    }

    /**
     * The rows that {@link #export} handed to a checkpoint.
     *
     * @throws IllegalArgumentException when state.json has no list of them
     */
    public static EpochMetrics restore(JsonObject state) {
        if (!state.has(STATE) || !state.get(STATE).isJsonArray()) {
            throw new IllegalArgumentException("state.json: '" + STATE + "' is missing or not a list");
        }
        EpochMetrics m = new EpochMetrics();
        for (JsonElement e : state.getAsJsonArray(STATE)) {
            m.add(Checkpoint.GSON.fromJson(e, Row.class));
        }
        return m;
    }
}
