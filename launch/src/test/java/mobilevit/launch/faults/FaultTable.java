package mobilevit.launch.faults;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The suite's summary: one row per kind of fault, with how many were injected, how many runs
 * recovered (went on to the end, or were still loadable) or were refused with a one-line
 * error, and how many files were lost or corrupted. Rows are only added after their checks passed.
 */
final class FaultTable {

    record Row(String fault, int injected, int recovered, int refused, int lostOrCorrupted, String notes) {}

    private final List<Row> rows = new ArrayList<>();

    synchronized void add(String fault, int injected, int recovered, int refused, int lostOrCorrupted,
            String notes) {
        rows.add(new Row(fault, injected, recovered, refused, lostOrCorrupted, notes));
    }

    synchronized String render(double seconds) {
        int w = "fault".length();
        for (Row r : rows) {
            w = Math.max(w, r.fault().length());
        }
        String fmt = "| %-" + w + "s | %8s | %9s | %7s | %23s | %s%n";
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "Fault-injection suite: %d kinds of fault, %.0f s%n", rows.size(), seconds));
        sb.append(String.format(Locale.ROOT, fmt, "fault", "injected", "recovered", "refused", "files lost or corrupted",
                "notes"));
        sb.append(String.format(Locale.ROOT, fmt, "-".repeat(w), "-".repeat(8), "-".repeat(9), "-".repeat(7),
                "-".repeat(23), "-----"));
        int injected = 0;
        int recovered = 0;
        int refused = 0;
        int lost = 0;
        for (Row r : rows) {
            sb.append(String.format(Locale.ROOT, fmt, r.fault(), r.injected(), r.recovered(), r.refused(),
                    r.lostOrCorrupted(), r.notes()));
            injected += r.injected();
            recovered += r.recovered();
            refused += r.refused();
            lost += r.lostOrCorrupted();
        }
        sb.append(String.format(Locale.ROOT, fmt, "total", injected, recovered, refused, lost, ""));
        return sb.toString();
    }

    /** Prints the table and writes it to {@code file}. */
    void print(Path file, double seconds) {
        String table = render(seconds);
        System.out.println();
        System.out.print(table);
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            Files.writeString(file, table);
        } catch (IOException e) {
            System.out.println("(cannot write " + file + ": " + e.getMessage() + ")");
        }
    }
}
