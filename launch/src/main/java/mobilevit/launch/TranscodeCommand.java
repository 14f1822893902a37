package mobilevit.launch;

import mobilevit.core.UserError;
import mobilevit.data.dataset.RestartMarkedCopy;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Locale;

/** {@code transcode}: a copy of a dataset whose JPEGs have a restart marker after every MCU. */
@Command(name = "transcode", mixinStandardHelpOptions = true,
        description = "Copy a dataset folder, re-encoding every JPEG losslessly with a restart marker after every "
                + "MCU: the same pixels, and training then decodes only the part of each image its crop needs. "
                + "Other files are copied as they are. Run it again to resume a stopped copy.")
final class TranscodeCommand implements Runnable {

    @Option(names = "--input", required = true, description = "the dataset folder (e.g. with train/ and val/)")
    Path input;

    @Option(names = "--output", required = true, description = "the copy's folder (created; files already there "
            + "are kept)")
    Path output;

    @Option(names = "--threads", description = "threads (default: the machine's cores)")
    Integer threads;

    @Override
    public void run() {
        int n = threads == null ? Runtime.getRuntime().availableProcessors() : threads;
        Args.positive("--threads", n);
        ProgressBar bar = new ProgressBar("transcode");
        long start = System.nanoTime();
        RestartMarkedCopy.Summary s;
        try {
            s = RestartMarkedCopy.copy(input, output, n, (done, total) -> {
                synchronized (bar) {
                    bar.update(done, total);
                }
            });
        } catch (IOException e) {
            throw new UserError("transcode failed: " + e.getMessage(), 1);
        }
        bar.finish();
        System.out.printf(Locale.ROOT, "%s: %d files; %d JPEGs re-encoded (%.1f MB -> %.1f MB), %d copied as they were "
                        + "(not JPEG, or damaged), %d already there; %.1f s%n", output, s.files(), s.reencoded(),
                s.bytesIn() / 1e6, s.bytesOut() / 1e6, s.keptAsTheyWere(), s.alreadyThere(),
                (System.nanoTime() - start) / 1e9);
    }
}
