package mobilevit.launch;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;

import mobilevit.model.Autograd;
import mobilevit.model.MobileViT;
import mobilevit.model.Variant;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/** {@code info}: parameter count and each stage's output shape. */
@Command(name = "info", mixinStandardHelpOptions = true,
        description = "Print the parameter count and the output shape of each stage.")
final class InfoCommand implements Runnable {

    @Mixin
    ModelOptions model;

    @Option(names = "--size", arity = "2", paramLabel = "N", description = "Input height and width (default 256 256).")
    int[] size = {256, 256};

    @Override
    public void run() {
        Variant v = model.variant();
        Args.checkImageSize(size[0], size[1]);
        int classes = model.classes();
        try (NDManager manager = NDManager.newBaseManager()) {
            Autograd.setEnabled(false);
            MobileViT net = MobileViT.builder().setVariant(v).optNumClasses(classes).buildInitialized(manager, 0);
            Map<String, Shape> shapes = new LinkedHashMap<>();
            NDArray input = manager.zeros(new Shape(1, 3, size[0], size[1]));
            net.forward(new ParameterStore(manager, false), input, false, null, (name, value) -> {
                if (!name.contains("_mvit_")) {
                    shapes.put(name, value.getShape());
                }
            });
            System.out.printf(Locale.ROOT, "MobileViT-%s, %d classes%n", v.name(), classes);
            System.out.printf(Locale.ROOT, "trainable parameters: %,d%n", net.trainableParameterCount());
            System.out.printf(Locale.ROOT, "%-14s %s%n", "input", input.getShape());
            shapes.forEach((name, shape) -> System.out.printf(Locale.ROOT, "%-14s %s%n", name, shape));
        }
    }
}
