package mobilevit.launch;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code bench}: speed measurements printed as a table and a last {@code name=value} line. */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = "Benchmarks (not tests): each prints images per second and ends with a name=value line.",
        subcommands = {BenchModelCommand.class, BenchDataCommand.class, BenchTrainCommand.class,
            BenchInferCommand.class, InferRuntimeCommand.class})
final class BenchCommand implements Runnable {
    @Override
    public void run() {
        throw new CommandLine.ParameterException(new CommandLine(this), "say what to benchmark");
    }
}
