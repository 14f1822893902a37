package mobilevit.launch;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;

import mobilevit.core.UserError;
import mobilevit.model.WeightsFile;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/** {@code convert}: a weights file's tensors as safetensors, names kept. */
@Command(name = "convert", mixinStandardHelpOptions = true,
        description = "Write the tensors of a torch.save .pt/.bin (or safetensors) file as safetensors, with the"
                + " same names and values; the pickle is read without executing anything.")
final class ConvertCommand implements Runnable {

    @Option(names = "--weights", required = true, description = "torch.save .pt/.bin, or safetensors")
    Path weights;

    @Option(names = "--output", required = true, description = "the safetensors file to write (atomically)")
    Path output;

    @Override
    public void run() {
        Args.existingFile("weights file", weights);
        if (sameFile(weights, output)) {
            throw new UserError("--output " + output + " is the --weights file itself; convert writes a new file:"
                    + " give another --output");
        }
        try (NDManager manager = NDManager.newBaseManager()) {
            NDList tensors = WeightsFile.read(weights, manager);
            WeightsFile.write(tensors, output);
            long elements = tensors.stream().mapToLong(a -> a.getShape().size()).sum();
            System.out.printf(Locale.ROOT, "wrote %s: %d tensors, %d values%n", output, tensors.size(), elements);
        } catch (IOException e) {
            throw new UserError("cannot write " + output + ": " + e.getMessage(), 5);
        }
    }

    private static boolean sameFile(Path a, Path b) {
        try {
            return Files.exists(b) && Files.isSameFile(a, b);
        } catch (IOException e) {
            return false; // b unreadable: the write reports it
        }
    }
}
