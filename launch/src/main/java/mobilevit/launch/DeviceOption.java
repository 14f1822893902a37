package mobilevit.launch;

import ai.djl.Device;

import picocli.CommandLine.Option;

/** {@code --device cpu|gpuN}: the one device a command runs on (a picocli mixin). */
final class DeviceOption {

    @Option(names = "--device", paramLabel = "<device>", defaultValue = "cpu", description = "cpu or gpuN (default ${DEFAULT-VALUE})")
    String spec;

    /** The device, refused in one line when this machine lacks it. */
    Device device() {
        return Args.device(spec);
    }
}
