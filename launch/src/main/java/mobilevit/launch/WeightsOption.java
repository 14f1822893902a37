package mobilevit.launch;

import picocli.CommandLine.Option;

import java.nio.file.Path;

/** {@code --weights FILE}: the weights a command starts from (a picocli mixin). */
final class WeightsOption {

    static final String DESCRIPTION = "safetensors or torch.save .pt/.bin (CVNets or Hugging Face names)";

    @Option(names = "--weights", required = true, paramLabel = "<weights>", description = DESCRIPTION)
    Path file;
}
