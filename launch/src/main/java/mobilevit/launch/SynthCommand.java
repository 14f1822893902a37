package mobilevit.launch;

import mobilevit.core.UserError;
import mobilevit.data.dataset.SyntheticImageNet;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Locale;

/** {@code synth}: a small synthetic dataset in ImageNet layout. */
@Command(name = "synth", mixinStandardHelpOptions = true,
        description = "Write a synthetic ImageNet-layout dataset (train/<class>/*.JPEG, val/<class>/*.JPEG) whose "
                + "classes are shapes of their own colour and surface on random backgrounds.")
final class SynthCommand implements Runnable {

    @Option(names = "--output", required = true, description = "folder to create (must not exist or be empty)")
    Path output;

    @Option(names = "--classes", defaultValue = "10", description = "number of classes (default ${DEFAULT-VALUE})")
    int classes;

    @Option(names = "--train-per-class", defaultValue = "60",
            description = "training images per class (default ${DEFAULT-VALUE})")
    int trainPerClass;

    @Option(names = "--val-per-class", defaultValue = "20",
            description = "validation images per class (default ${DEFAULT-VALUE})")
    int valPerClass;

    @Option(names = "--seed", defaultValue = "0", description = "seed (default ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--image-size", paramLabel = "WxH", description = "every image this size, e.g. 500x375 "
            + "(ImageNet's most common size; for bench data); default: random, 200 to 500 pixels a side")
    String imageSize;

    @Override
    public void run() {
        Args.positive("--classes", classes);
        Args.positive("--train-per-class", trainPerClass);
        if (valPerClass < 0) {
            throw new UserError("--val-per-class must be 0 or more, got " + valPerClass);
        }
        long start = System.nanoTime();
        try {
            SyntheticImageNet.ImageSize size = imageSize == null ? null : SyntheticImageNet.ImageSize.parse(imageSize);
            SyntheticImageNet.generate(output, classes, trainPerClass, valPerClass, seed, size);
        } catch (IOException e) {
            throw new UserError("cannot write " + output + ": " + e.getMessage(), 1);
        }
        System.out.printf(Locale.ROOT, "wrote %d training and %d validation images in %d classes to %s (%.1f s)%n",
                classes * trainPerClass, classes * valPerClass, classes, output, (System.nanoTime() - start) / 1e9);
    }
}
