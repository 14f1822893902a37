package mobilevit.launch;

import mobilevit.core.UserError;
import mobilevit.trainer.report.RunPlots;

import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** {@code plot}: a run folder's loss, learning-rate and top-1 charts, from its own metrics.csv and log.jsonl. */
@Command(name = "plot", mixinStandardHelpOptions = true,
        description = "Write RUN_DIR/plots/{loss,lr,top1}.png from the run's metrics.csv and log.jsonl (any run,"
                + " finished, running or interrupted; train writes them too, at every epoch end).")
final class PlotCommand implements Runnable {

    @Parameters(paramLabel = "RUN_DIR", description = "a run folder (train --output)")
    Path run;

    @Override
    public void run() {
        if (!Files.isDirectory(run)) {
            throw new UserError("run folder " + run + (Files.exists(run) ? " is not a folder" : " does not exist"));
        }
        Path plots = run.resolve("plots");
        try {
            RunPlots.write(run, plots);
        } catch (IllegalArgumentException e) {
            throw new UserError(e.getMessage());
        } catch (IOException e) {
            throw new UserError("cannot write " + plots + ": " + e.getMessage(), 5);
        }
        System.out.println("wrote " + String.join(", ", RunPlots.FILES.stream().map(f -> plots.resolve(f).toString())
                .toList()));
    }
}
