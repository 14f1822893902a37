package mobilevit.launch;

import mobilevit.trainer.config.TrainConfig;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

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
            ExportCommand.class,
            ConvertCommand.class,
            PlotCommand.class,
            OverfitCommand.class,
            BenchCommand.class,
            PreprocessCommand.class,
            SynthCommand.class,
            TranscodeCommand.class,
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

    /** Runs the command line and returns the exit code (0 success, 1 unexpected failure, 2 or more: {@link ErrorHandler}). */
    public static int execute(String... args) {
        System.setProperty("ai.djl.offline", "true");
        CommandLine cli = new CommandLine(new Main());
        cli.getSubcommands().get("train").getCommandSpec().usageMessage().footer("", TrainConfig.keysHelp());
        cli.setExecutionExceptionHandler(new ErrorHandler());
        try {
            return cli.execute(args);
        } catch (OutOfMemoryError e) { // an Error: picocli hands only Exceptions to the handler
            return ErrorHandler.outOfMemory(e, Runtime.getRuntime().maxMemory(),
                    ErrorHandler.verbose(cli.getParseResult()), cli.getErr());
        }
    }
}
