package mobilevit.launch;

import java.io.PrintStream;
import java.util.Locale;

/** A one-line progress bar with rate and ETA on stderr, redrawn at most a few times a second. */
final class ProgressBar {

    private static final int WIDTH = 30;
    private final String label;
    private final PrintStream out = System.err;
    private final long start = System.nanoTime();
    private long lastDraw;

    ProgressBar(String label) {
        this.label = label;
    }

    void update(long done, long total) {
        long now = System.nanoTime();
        if (now - lastDraw < 250_000_000L && done < total) {
            return;
        }
        lastDraw = now;
        double seconds = (now - start) / 1e9;
        double rate = done / Math.max(seconds, 1e-9);
        int filled = total == 0 ? WIDTH : (int) (WIDTH * done / total);
        String bar = "=".repeat(filled) + (filled < WIDTH ? ">" + " ".repeat(WIDTH - filled - 1) : "");
        long eta = rate > 0 ? Math.round((total - done) / rate) : 0;
        out.printf(Locale.ROOT, "\r%s [%s] %d/%d images  %.1f img/s  ETA %02d:%02d:%02d ", label, bar, done, total, rate,
                eta / 3600, eta / 60 % 60, eta % 60);
        out.flush();
    }

    void finish() {
        out.println();
    }
}
