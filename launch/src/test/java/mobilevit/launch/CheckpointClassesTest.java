package mobilevit.launch;

import static org.junit.jupiter.api.Assertions.assertEquals;

import mobilevit.data.dataset.SyntheticImageNet;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * A checkpoint keeps the names of the classes it was trained on: {@code predict --checkpoint}
 * prints them, and {@code train} (resuming) and {@code eval} refuse a folder whose classes differ.
 */
@Tag("slow")
class CheckpointClassesTest {

    @TempDir
    Path tmp;

    @Test
    void predictPrintsTheClassFolderNamesAndOtherClassesAreRefused() throws IOException {
        String[] train = FineTuneTest.threeClassTraining(tmp);
        Cli.Result trained = Cli.run(train);
        assertEquals(0, trained.exitCode(), trained.err());
        Path run = tmp.resolve("run");
        Path data = tmp.resolve("data");

        Path image = data.resolve("val").resolve(SyntheticImageNet.className(0));
        try (var files = Files.list(image)) {
            image = files.findFirst().orElseThrow();
        }
        Cli.Result predicted = Cli.run("predict", "--checkpoint", run.toString(), image.toString());
        assertEquals(0, predicted.exitCode(), predicted.err());
        List<String> lines = predicted.out().strip().lines().toList();
        assertEquals(image.toString(), lines.get(0));
        Set<String> printed = new TreeSet<>();
        lines.subList(1, lines.size()).forEach(l -> printed.add(l.replaceFirst("^\\s+\\d+\\.\\d\\d%\\s+", "")));
        assertEquals(Set.of(SyntheticImageNet.className(0), SyntheticImageNet.className(1),
                SyntheticImageNet.className(2)), printed, predicted.out());
        Cli.run("predict", "--checkpoint", run.toString(), "--classes", "10", image.toString()).failsWithOneLine(2,
                "--classes 10 does not match the checkpoint's model.num_classes 3; leave --classes out with --checkpoint");
        for (String[] command : List.of(new String[] {"predict", image.toString()},
                new String[] {"eval", "--data", data.toString()})) {
            List<String> args = new ArrayList<>(List.of(command));
            args.addAll(List.of("--checkpoint", run.toString(), "--variant", "S"));
            Cli.run(args.toArray(String[]::new)).failsWithOneLine(2, "--variant S does not match the checkpoint's"
                    + " model.variant xxs; leave --variant out with --checkpoint");
        }

        for (String split : List.of("train", "val")) {
            Files.move(data.resolve(split).resolve(SyntheticImageNet.className(1)), data.resolve(split).resolve("s0001-x"));
        }
        Path checkpoint = run.toAbsolutePath().resolve("checkpoints/e0001-i000000");
        String metrics = Files.readString(run.resolve("metrics.csv"));
        Cli.run(train).failsWithOneLine(2, "error: the checkpoint " + checkpoint + " was trained"
                + " on other classes than " + data.resolve("train") + " has (3 then, 3 now): class 1 is '"
                + SyntheticImageNet.className(1) + "' in the checkpoint and 's0001-x' in " + data.resolve("train")
                + "; resume on the same data, or give --set data.allow_changed_data=true");
        assertEquals(metrics, Files.readString(run.resolve("metrics.csv")));
        Cli.run("eval", "--data", data.toString(), "--checkpoint", run.toString(), "--report",
                tmp.resolve("report.json").toString()).failsWithOneLine(2, data.resolve("val") + " does not have the"
                + " classes the checkpoint " + checkpoint + " was trained on: class 1 is '" + SyntheticImageNet.className(1)
                + "' in the checkpoint and 's0001-x' in " + data.resolve("val"));
    }
}
