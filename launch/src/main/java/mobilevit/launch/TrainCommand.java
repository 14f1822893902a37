package mobilevit.launch;

import mobilevit.core.UserError;
import mobilevit.trainer.Trainer;
import mobilevit.trainer.cluster.MpiCluster;
import mobilevit.trainer.config.TrainConfig;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** {@code train}: the paper's training from a YAML config, resuming the run folder's latest checkpoint. */
@Command(name = "train", mixinStandardHelpOptions = true,
        description = "Train from a YAML config. A run folder that has a checkpoint is resumed from it; "
                + "SIGINT/SIGTERM save a checkpoint before exiting.")
final class TrainCommand implements Runnable {

    @Option(names = "--config", required = true, description = "YAML file (see configs/)")
    Path config;

    @Option(names = "--data", description = "ImageNet-layout folder with train/ and val/ (sets data.root)")
    String data;

    @Option(names = "--output", description = "run folder (default: runs/<config file name>)")
    Path output;

    @Option(names = "--devices", description = "cpu, cpu:N, gpu0, gpu0-7 or all (sets train.devices)")
    String devices;

    @Option(names = "--set", paramLabel = "KEY=VALUE", description = "override a config key, e.g. --set train.epochs=10")
    List<String> overrides = new ArrayList<>();

    @Option(names = "--resume", description = "resume from this checkpoint or run folder instead of the output's latest")
    Path resume;

    @Option(names = "--init-weights", paramLabel = "FILE",
            description = "start a fresh run from these weights (safetensors, torch.save .pt/.bin, or a checkpoint or"
                    + " run folder's EMA weights; CVNets or Hugging Face names): every tensor whose name and shape fit"
                    + " is loaded, a classifier of another size is re-initialised. Ignored when the run resumes.")
    Path initWeights;

    @Override
    public void run() {
        List<String> all = new ArrayList<>(overrides);
        if (data != null) {
            all.add("data.root=" + quote(data));
        }
        if (devices != null) {
            all.add("train.devices=" + quote(devices));
        }
        TrainConfig cfg = TrainConfig.load(config, all);
        Path out = output != null ? output : Path.of("runs", stem(config));
        if (initWeights != null && !Files.exists(initWeights)) {
            throw new UserError("--init-weights " + initWeights + " does not exist");
        }
        if (!Boolean.getBoolean(MPI_PROPERTY)) {
            SaveOnStop.run(Trainer.builder(cfg, out).optResumeFrom(resume).optInitWeights(initWeights).build());
            return;
        }
        // An MPI job (launch/mobilevit saw mpirun's or srun's variables). A rank that fails exits
        // without MPI_Finalize and the launcher ends the others; only a finished run leaves MPI.
        MpiCluster cluster = joinMpi();
        SaveOnStop.run(Trainer.builder(cfg, out).optResumeFrom(resume).optInitWeights(initWeights).optCluster(cluster)
                .build());
        cluster.close();
    }

    /** Set (to true) by launch/mobilevit when it runs under mpirun or srun. */
    static final String MPI_PROPERTY = "mobilevit.mpi";

    private static MpiCluster joinMpi() {
        String library = System.getenv().getOrDefault("MOBILEVIT_MPI_LIBRARY", MpiCluster.DEFAULT_LIBRARY);
        String limit = System.getenv().getOrDefault("MOBILEVIT_MPI_TIMEOUT", "300");
        long seconds;
        try {
            seconds = Long.parseLong(limit.trim());
        } catch (NumberFormatException e) {
            throw new UserError("MOBILEVIT_MPI_TIMEOUT must be a whole number of seconds, got '" + limit + "'");
        }
        MpiCluster cluster;
        try {
            cluster = MpiCluster.join(library, seconds);
        } catch (IllegalArgumentException | IllegalStateException e) {
            throw new UserError(e.getMessage());
        }
        String tasks = System.getenv("SLURM_STEP_NUM_TASKS");
        if (cluster.size() == 1 && tasks != null && !tasks.trim().equals("1")) {
            // each task would train alone, all of them into one run folder
            throw new UserError("srun started " + tasks.trim() + " tasks but MPI sees 1 process: start them with"
                    + " srun --mpi=pmix (or mpirun)");
        }
        return cluster;
    }

    private static String quote(String s) {
        return "'" + s.replace("'", "''") + "'";
    }

    private static String stem(Path file) {
        String name = file.getFileName().toString();
        int dot = name.lastIndexOf('.');
        return dot > 0 ? name.substring(0, dot) : name;
    }
}
