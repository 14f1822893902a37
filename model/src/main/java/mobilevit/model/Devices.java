package mobilevit.model;

import ai.djl.Device;
import ai.djl.engine.Engine;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Parses device lists: {@code cpu}, {@code cpu:N} (N replicas sharing the CPU, for tests),
 * {@code gpu0}, {@code gpu0-7}, {@code gpu0,2,5}, or {@code all} (every GPU, else the CPU). One
 * entry per replica; replicas are told apart by their index, not by {@link Device} equality
 * (DJL treats cpu(0) and cpu(1) as the same device).
 */
public final class Devices {

    private static final Pattern CPU = Pattern.compile("cpu(?::(\\d+))?");
    private static final Pattern GPU_RANGE = Pattern.compile("gpu(\\d+)-(\\d+)");
    private static final Pattern GPU_LIST = Pattern.compile("gpu\\d+(,(gpu)?\\d+)*");

    private Devices() {}

    /** Parses {@code spec} against the GPUs PyTorch sees on this machine. */
    public static List<Device> parse(String spec) {
        return spec(spec).onThisMachine();
    }

    /**
     * Parses {@code spec} for a machine with {@code gpuCount} GPUs.
     *
     * @throws IllegalArgumentException with one line naming the problem
     */
    public static List<Device> parse(String spec, int gpuCount) {
        return spec(spec).on(gpuCount);
    }

    /**
     * Parses the syntax of {@code spec}; the GPUs it names are counted when it is resolved.
     *
     * @throws IllegalArgumentException with one line naming the problem
     */
    public static Spec spec(String spec) {
        String s = spec == null ? "" : spec.trim().toLowerCase(Locale.ROOT).replace(" ", "");
        Matcher cpu = CPU.matcher(s);
        if (cpu.matches()) {
            int n = cpu.group(1) == null ? 1 : Integer.parseInt(cpu.group(1));
            if (n < 1) {
                throw new IllegalArgumentException("devices '" + spec + "': cpu:N needs N >= 1");
            }
            return new Spec(spec, n, List.of());
        }
        List<Integer> ids = new ArrayList<>();
        Matcher range = GPU_RANGE.matcher(s);
        if (s.equals("all")) {
            return new Spec(spec, 0, List.of());
        } else if (range.matches()) {
            int from = Integer.parseInt(range.group(1));
            int to = Integer.parseInt(range.group(2));
            if (to < from) {
                throw new IllegalArgumentException("devices '" + spec + "': empty GPU range");
            }
            for (int i = from; i <= to; i++) {
                ids.add(i);
            }
        } else if (GPU_LIST.matcher(s).matches()) {
            for (String part : s.split(",")) {
                int id = Integer.parseInt(part.replace("gpu", ""));
                if (ids.contains(id)) {
                    throw new IllegalArgumentException("devices '" + spec + "': gpu" + id + " is listed twice");
                }
                ids.add(id);
            }
        } else {
            throw new IllegalArgumentException("devices '" + spec
                    + "' not understood (expected cpu, cpu:N, gpu0, gpu0-7, gpu0,2 or all)");
        }
        return new Spec(spec, 0, ids);
    }

    /**
     * A device list whose syntax is checked: {@code cpuReplicas} replicas on the CPU, or the GPUs
     * {@code gpus}, or, with neither, every GPU ({@code all}). Its text is the spec as given.
     */
    public static final class Spec {

        private final String text;
        private final int cpuReplicas;
        private final List<Integer> gpus;

        private Spec(String text, int cpuReplicas, List<Integer> gpus) {
            this.text = text;
            this.cpuReplicas = cpuReplicas;
            this.gpus = List.copyOf(gpus);
        }

        /** One device per replica on the GPUs PyTorch sees on this machine. */
        public List<Device> onThisMachine() {
            return on(Engine.getInstance().getGpuCount());
        }

        /**
         * One device per replica on a machine with {@code gpuCount} GPUs.
         *
         * @throws IllegalArgumentException naming a GPU the machine lacks
         */
        public List<Device> on(int gpuCount) {
            if (cpuReplicas > 0) {
                return Collections.nCopies(cpuReplicas, Device.cpu());
            }
            List<Integer> ids = gpus;
            if (ids.isEmpty()) {
                if (gpuCount == 0) {
                    return List.of(Device.cpu());
                }
                ids = new ArrayList<>();
                for (int i = 0; i < gpuCount; i++) {
                    ids.add(i);
                }
            }
            int highest = Collections.max(ids);
            if (highest >= gpuCount) {
                throw new IllegalArgumentException("devices '" + text + "' needs gpu" + highest + " but "
                        + (gpuCount == 0 ? "PyTorch sees no GPU on this machine (CPU natives, or no CUDA driver)"
                                : "this machine has " + gpuCount + " GPU(s): gpu0-" + (gpuCount - 1)));
            }
            List<Device> devices = new ArrayList<>();
            ids.forEach(i -> devices.add(Device.gpu(i)));
            return devices;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Spec other && text.equals(other.text);
        }

        @Override
        public int hashCode() {
            return text.hashCode();
        }

        /** The spec as given. */
        @Override
        public String toString() {
            return text;
        }
    }
}
