package mobilevit.trainer;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;

import mobilevit.data.AtomicFiles;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
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

    private final List<Row> rows = new ArrayList<>();

    void add(Row row) {
        rows.add(row);
    }

    List<Row> rows() {
        return List.copyOf(rows);
    }

    /** Best EMA top-1 so far (negative when no epoch finished). */
    double bestEmaTop1() {
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

    void writeCsv(Path file) throws IOException {
        AtomicFiles.writeString(file, csv());
    }

    JsonArray toJson() {
        JsonArray a = new JsonArray();
        for (Row r : rows) {
            a.add(Checkpoint.GSON.toJsonTree(r));
        }
        return a;
    }

    static EpochMetrics fromJson(JsonArray a) {
        EpochMetrics m = new EpochMetrics();
        for (JsonElement e : a) {
            m.add(Checkpoint.GSON.fromJson(e, Row.class));
        }
        return m;
    }
}
