package mobilevit.launch;

import mobilevit.trainer.TrainConfig;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintWriter;

/** Entry point of {@code launch/mobilevit}: one command per job, each a picocli subcommand. */
@Command(name = "mobilevit", mixinStandardHelpOptions = true, version = "mobilevit-djl 0.1.0",
        description = "MobileViT v1 on DJL: train, evaluate and inspect MobileViT-XXS/XS/S.",
        subcommands = {
            InfoCommand.class,
            TrainCommand.class,
            EvalCommand.class,
            PredictCommand.class,
            DemoCommand.class,
            ForwardCommand.class,
            ConvertCommand.class,
            PlotCommand.class,
            OverfitCommand.class,
            BenchCommand.class,
            PreprocessCommand.class,
            SynthCommand.class,
        })
public final class Main implements Runnable {

    @Option(names = "--verbose", scope = CommandLine.ScopeType.INHERIT,
            description = "Print stack traces of errors.")
    boolean verbose;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(new CommandLine(this), "a command is required");
    }

    public static void main(String[] args) {
        System.exit(execute(args));
    }

    /** Runs the command line and returns the exit code (0 success, 2 bad input, 1 failure). */
    public static int execute(String... args) {
        System.setProperty("ai.djl.offline", "true");
        CommandLine cli = new CommandLine(new Main());
        cli.getSubcommands().get("train").getCommandSpec().usageMessage().footer("", TrainConfig.keysHelp());
        cli.setExecutionExceptionHandler((e, cmd, parsed) -> {
            boolean verbose = parsed.hasMatchedOption("--verbose");
            PrintWriter err = cmd.getErr();
            if (e instanceof UserError) {
                err.println("error: " + e.getMessage());
                if (verbose) {
                    e.printStackTrace(err);
                }
                return ((UserError) e).exitCode();
            }
            err.println("error: " + e.getClass().getSimpleName() + ": " + e.getMessage()
                    + (verbose ? "" : " (run with --verbose for details)"));
            if (verbose) {
                e.printStackTrace(err);
            }
            return 1;
        });
        return cli.execute(args);
    }
}
