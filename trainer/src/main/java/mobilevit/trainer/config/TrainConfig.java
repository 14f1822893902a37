package mobilevit.trainer.config;

import org.yaml.snakeyaml.DumperOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.error.YAMLException;

import java.io.IOException;
import java.lang.reflect.RecordComponent;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Supplier;
import java.util.stream.Collectors;

/**
 * The training configuration: a YAML file of sections, one record each, whose components declare
 * their keys ({@link ConfigKey}); docs/training.md and {@code configs/} show them.
 * A file may extend another ({@code extends: PATH}) and give only the keys that differ. Unknown keys
 * and bad values are refused with the full key path; {@code --set section.key=value} overrides any
 * key; {@link #toYaml()} gives the resolved configuration written into a run, complete and without
 * {@code extends}. The defaults are the paper's recipe for MobileViT-XXS on 8 GPUs.
 */
public record TrainConfig(ModelSection model, DataSection data, SamplerSection sampler, TrainSection train,
        OptimSection optim, ScheduleSection schedule, EvalSection eval) {

    /** The top-level key naming a base file, the only one that is not a section. */
    private static final String EXTENDS = "extends";

    /** Keys that change where a run goes (not how it is monitored or how fast it loads data). */
    private static final List<String> OPERATIONAL = List.of("data.root", "data.workers", "data.prefetch",
            "data.allow_changed_data", "train.checkpoint_every", "train.keep_checkpoints", "train.log_every", "train.threads",
            "eval.batch_size");

    public TrainConfig {
        if (schedule.warmupInitLr() > optim.lr() || schedule.minLr() > optim.lr()) {
            throw new ConfigException("schedule.warmup_init_lr and schedule.min_lr must not exceed optim.lr ("
                    + optim.lr() + ")");
        }
    }

    /** The defaults (the paper's recipe for MobileViT-XXS on 8 GPUs). */
    public static TrainConfig defaults() {
        return resolve(Map.of(), List.of());
    }

    /**
     * Reads a YAML file and applies {@code overrides} ({@code section.key=value}, the value
     * parsed as YAML). A top-level {@code extends: PATH} (relative to the file's folder) names a
     * base file, read the same way, whose values this file's override key by key.
     *
     * @throws ConfigException naming the file and the first problem: an unknown key or a bad
     *     {@code extends} names the file it is in, a bad value the file loaded
     */
    public static TrainConfig load(Path file, List<String> overrides) {
        Map<String, Object> values = read(file, List.of());
        return naming(file, () -> resolve(values, overrides));
    }

    /** The flattened values of {@code file} over those of its base; {@code chain}: the files extending it. */
    private static Map<String, Object> read(Path file, List<Path> chain) {
        Map<Object, Object> sections = new LinkedHashMap<>(parse(file));
        boolean extending = sections.containsKey(EXTENDS);
        Object base = sections.remove(EXTENDS);
        Map<String, Object> own = naming(file, () -> flatten(sections));
        if (!extending) {
            return own;
        }
        List<Path> files = new ArrayList<>(chain);
        files.add(file);
        Map<String, Object> values = read(naming(file, () -> basePath(file, base, files)), files);
        values.putAll(own);
        return values;
    }

    /** The file that {@code file}'s {@code extends} value names: it must exist and not be in {@code chain}. */
    private static Path basePath(Path file, Object base, List<Path> chain) {
        if (!(base instanceof String name)) {
            throw new ConfigException(EXTENDS + " must be the path of a YAML file, got " + base);
        }
        Path path = file.resolveSibling(name);
        if (!Files.exists(path)) {
            throw new ConfigException(EXTENDS + ": base file " + path + " does not exist");
        }
        Path normal = path.toAbsolutePath().normalize();
        if (chain.stream().anyMatch(f -> f.toAbsolutePath().normalize().equals(normal))) {
            throw new ConfigException(EXTENDS + ": a cycle, " + chain.stream().map(Path::toString)
                    .collect(Collectors.joining(" extends ")) + " extends " + path);
        }
        return path;
    }

    /** The mapping of sections that {@code file} holds (empty if the file is). */
    private static Map<?, ?> parse(Path file) {
        String text;
        try {
            text = Files.readString(file);
        } catch (NoSuchFileException e) {
            throw new ConfigException("config file " + file + " does not exist");
        } catch (IOException e) {
            throw new ConfigException("cannot read config file " + file + ": " + e.getMessage());
        }
        Object root;
        try {
            root = ConfigBinder.yaml().load(text);
        } catch (YAMLException e) {
            throw new ConfigException("config file " + file + " is not valid YAML: "
                    + e.getMessage().replaceAll("\\s+", " "));
        }
        if (root != null && !(root instanceof Map)) {
            throw new ConfigException("config file " + file + " must be a mapping of sections");
        }
        return root == null ? Map.of() : (Map<?, ?>) root;
    }

    /** {@code step}'s result, or its {@link ConfigException} with the message prefixed by {@code file}. */
    private static <T> T naming(Path file, Supplier<T> step) {
        try {
            return step.get();
        } catch (ConfigException e) {
            throw new ConfigException("config " + file + ": " + e.getMessage());
        }
    }

    /** Applies {@code overrides} to the flattened {@code given} values and checks everything. */
    private static TrainConfig resolve(Map<String, Object> given, List<String> overrides) {
        List<String> known = paths();
        Map<String, Object> raw = new LinkedHashMap<>(given);
        for (String o : overrides) {
            int eq = o.indexOf('=');
            if (eq <= 0) {
                throw new ConfigException("--set expects section.key=value, got '" + o + "'");
            }
            String path = o.substring(0, eq).trim();
            if (!known.contains(path)) {
                throw new ConfigException("--set: unknown key " + path + knownKeysHint(path));
            }
            try {
                raw.put(path, ConfigBinder.yaml().load(o.substring(eq + 1)));
            } catch (YAMLException e) {
                throw new ConfigException("--set " + path + ": value is not valid YAML");
            }
        }
        return ConfigBinder.bind(TrainConfig.class, raw);
    }

    private static List<String> paths() {
        return ConfigBinder.keys(TrainConfig.class).stream().map(ConfigBinder.Key::path).toList();
    }

    private static String sections() {
        return Arrays.stream(TrainConfig.class.getRecordComponents()).map(RecordComponent::getName)
                .collect(Collectors.joining(", "));
    }

    private static String knownKeysHint(String path) {
        String section = path.contains(".") ? path.substring(0, path.indexOf('.') + 1) : "";
        List<String> siblings = paths().stream().filter(p -> p.startsWith(section) && !section.isEmpty()).toList();
        return siblings.isEmpty() ? " (sections: " + sections() + ")"
                : " (known in this section: " + String.join(", ", siblings) + ")";
    }

    /** The values of a parsed YAML file by {@code section.key} path, every path a known key. */
    private static Map<String, Object> flatten(Object root) {
        Map<String, Object> out = new LinkedHashMap<>();
        flatten("", root == null ? Map.of() : (Map<?, ?>) root, out);
        List<String> known = paths();
        for (String path : out.keySet()) {
            if (!known.contains(path)) {
                throw new ConfigException("unknown key " + path + knownKeysHint(path));
            }
        }
        return out;
    }

    private static void flatten(String prefix, Map<?, ?> map, Map<String, Object> out) {
        for (Map.Entry<?, ?> e : map.entrySet()) {
            String path = prefix + e.getKey();
            if (e.getValue() instanceof Map) {
                flatten(path + ".", (Map<?, ?>) e.getValue(), out);
            } else if (prefix.isEmpty()) {
                throw new ConfigException("top-level key " + path + " must be a section (" + sections() + ")");
            } else {
                out.put(path, e.getValue());
            }
        }
    }

    /** A copy with further overrides applied. */
    public TrainConfig with(String... overrides) {
        return resolve(ConfigBinder.unbind(this), List.of(overrides));
    }

    /** The resolved configuration as YAML, every key present. */
    public String toYaml() {
        Map<String, Map<String, Object>> sections = new LinkedHashMap<>();
        ConfigBinder.unbind(this).forEach((path, value) -> {
            int dot = path.indexOf('.');
            sections.computeIfAbsent(path.substring(0, dot), s -> new LinkedHashMap<>())
                    .put(path.substring(dot + 1), value);
        });
        DumperOptions options = new DumperOptions();
        options.setDefaultFlowStyle(DumperOptions.FlowStyle.BLOCK);
        return new Yaml(options).dump(sections);
    }

    /** Parses a resolved configuration produced by {@link #toYaml()} (e.g. from a checkpoint). */
    public static TrainConfig fromYaml(String text) {
        return resolve(flatten(ConfigBinder.yaml().load(text)), List.of());
    }

    /** The keys (outside the operational ones) whose values differ between this and {@code other}. */
    public List<String> differences(TrainConfig other) {
        Map<String, Object> mine = ConfigBinder.unbind(this);
        Map<String, Object> theirs = ConfigBinder.unbind(other);
        return mine.keySet().stream()
                .filter(p -> !OPERATIONAL.contains(p))
                .filter(p -> !Objects.equals(mine.get(p), theirs.get(p)))
                .toList();
    }

    /** The keys as {@code train --help} lists them: path, default and what each does. */
    public static String keysHelp() {
        return ConfigBinder.keys(TrainConfig.class).stream()
                .map(k -> "  " + k.path() + " (default " + k.declaration().byDefault() + ")\n      "
                        + k.declaration().doc())
                .collect(Collectors.joining("\n", "Configuration keys (--set KEY=VALUE):\n", "\n"));
    }

    @Override
    public String toString() {
        return toYaml();
    }
}
