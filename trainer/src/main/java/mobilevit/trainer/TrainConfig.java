package mobilevit.trainer;

import mobilevit.model.Devices;
import mobilevit.model.Precision;
import mobilevit.model.Variant;

import org.yaml.snakeyaml.DumperOptions;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.error.YAMLException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The training configuration: YAML with the sections and keys of DESIGN.md section 6. Unknown
 * keys and bad values are refused with the full key path; {@code --set section.key=value}
 * overrides any key; {@link #toYaml()} gives the resolved configuration written into a run.
 */
public final class TrainConfig {

    /** Every key, in the order of the resolved file. Defaults are the paper's (MobileViT-XXS, 8 GPUs). */
    static final List<ConfigKey> KEYS = List.of(
            ConfigKey.text("model.variant", "xxs", "xxs", "xs", "s"),
            ConfigKey.integer("model.num_classes", 1000, 1),
            ConfigKey.real("model.classifier_dropout", 0.1, 0, 1, true),
            ConfigKey.real("model.transformer_dropout", null, 0, 1, true),
            ConfigKey.text("data.root", null),
            ConfigKey.integer("data.workers", 8, 1),
            ConfigKey.integer("data.prefetch", 4, 1),
            ConfigKey.text("data.interpolation", "bilinear", "bilinear", "bilinear-antialias"),
            ConfigKey.text("data.random_crop", "cvnets", "cvnets", "torchvision"),
            ConfigKey.integer("sampler.base_size", 256, 32),
            ConfigKey.integer("sampler.min_size", 160, 32),
            ConfigKey.integer("sampler.max_size", 320, 32),
            ConfigKey.integer("sampler.num_scales", 5, 1),
            ConfigKey.integer("sampler.divisible_by", 32, 1),
            ConfigKey.integer("train.epochs", 300, 1),
            ConfigKey.integer("train.batch_size", 128, 1),
            ConfigKey.integer("train.accum_freq", 1, 1),
            ConfigKey.text("train.devices", "gpu0-7"),
            ConfigKey.integer("train.threads", 0, 0),
            ConfigKey.text("train.precision", "fp32", "fp32", "fp16"),
            ConfigKey.longValue("train.seed", 0),
            ConfigKey.real("train.label_smoothing", 0.1, 0, 1, true),
            ConfigKey.real("train.ema_momentum", 0.0005, Double.MIN_VALUE, 1, false),
            ConfigKey.integer("train.checkpoint_every", 0, 0),
            ConfigKey.integer("train.keep_checkpoints", 3, 1),
            ConfigKey.integer("train.log_every", 50, 1),
            ConfigKey.real("optim.lr", 0.002, Double.MIN_VALUE, Double.POSITIVE_INFINITY, false),
            ConfigKey.real("optim.weight_decay", 0.01, 0, Double.POSITIVE_INFINITY, false),
            ConfigKey.reals("optim.betas", new double[] {0.9, 0.999}, 0, 1),
            ConfigKey.real("optim.eps", 1e-8, Double.MIN_VALUE, Double.POSITIVE_INFINITY, false),
            ConfigKey.integer("schedule.warmup_iterations", 3000, 0),
            ConfigKey.real("schedule.warmup_init_lr", 0.0002, 0, Double.POSITIVE_INFINITY, false),
            ConfigKey.real("schedule.min_lr", 0.0002, 0, Double.POSITIVE_INFINITY, false),
            ConfigKey.text("schedule.mode", "epoch", "epoch", "iteration"),
            ConfigKey.integer("eval.resize", 288, 32),
            ConfigKey.integer("eval.crop", 256, 32),
            ConfigKey.integer("eval.batch_size", 100, 1));

    private final Map<String, Object> values;

    public final Variant variant;
    public final int numClasses;
    public final float classifierDropout;
    /** Null: the variant's CVNets v0.1 value. */
    public final Float transformerDropout;
    /** Null until given (required to train on real data). */
    public final String dataRoot;
    public final int workers;
    public final int prefetch;
    public final String interpolation;
    public final String randomCrop;
    public final int baseSize;
    public final int minSize;
    public final int maxSize;
    public final int numScales;
    public final int divisibleBy;
    public final int epochs;
    public final int batchSize;
    /** Micro-batches per optimizer step (gradient accumulation; CVNets' --common.accum-freq). */
    public final int accumFreq;
    public final String devices;
    public final int threads;
    /** The arithmetic of the training forward and backward (fp16: mixed precision with loss scaling). */
    public final Precision precision;
    public final long seed;
    public final double labelSmoothing;
    public final double emaMomentum;
    public final int checkpointEvery;
    public final int keepCheckpoints;
    public final int logEvery;
    public final double lr;
    public final double weightDecay;
    public final double beta1;
    public final double beta2;
    public final double eps;
    public final int warmupIterations;
    public final double warmupInitLr;
    public final double minLr;
    public final LearningRate.Mode scheduleMode;
    public final int evalResize;
    public final int evalCrop;
    public final int evalBatchSize;

    private TrainConfig(Map<String, Object> v) {
        values = v;
        variant = Variant.parse((String) v.get("model.variant"));
        numClasses = (Integer) v.get("model.num_classes");
        classifierDropout = ((Double) v.get("model.classifier_dropout")).floatValue();
        Double td = (Double) v.get("model.transformer_dropout");
        transformerDropout = td == null ? null : td.floatValue();
        dataRoot = (String) v.get("data.root");
        workers = (Integer) v.get("data.workers");
        prefetch = (Integer) v.get("data.prefetch");
        interpolation = (String) v.get("data.interpolation");
        randomCrop = (String) v.get("data.random_crop");
        baseSize = (Integer) v.get("sampler.base_size");
        minSize = (Integer) v.get("sampler.min_size");
        maxSize = (Integer) v.get("sampler.max_size");
        numScales = (Integer) v.get("sampler.num_scales");
        divisibleBy = (Integer) v.get("sampler.divisible_by");
        epochs = (Integer) v.get("train.epochs");
        batchSize = (Integer) v.get("train.batch_size");
        accumFreq = (Integer) v.get("train.accum_freq");
        devices = (String) v.get("train.devices");
        threads = (Integer) v.get("train.threads");
        precision = Precision.parse((String) v.get("train.precision"));
        seed = (Long) v.get("train.seed");
        labelSmoothing = (Double) v.get("train.label_smoothing");
        emaMomentum = (Double) v.get("train.ema_momentum");
        checkpointEvery = (Integer) v.get("train.checkpoint_every");
        keepCheckpoints = (Integer) v.get("train.keep_checkpoints");
        logEvery = (Integer) v.get("train.log_every");
        lr = (Double) v.get("optim.lr");
        weightDecay = (Double) v.get("optim.weight_decay");
        @SuppressWarnings("unchecked")
        List<Double> betas = (List<Double>) v.get("optim.betas");
        beta1 = betas.get(0);
        beta2 = betas.get(1);
        eps = (Double) v.get("optim.eps");
        warmupIterations = (Integer) v.get("schedule.warmup_iterations");
        warmupInitLr = (Double) v.get("schedule.warmup_init_lr");
        minLr = (Double) v.get("schedule.min_lr");
        scheduleMode = LearningRate.Mode.parse((String) v.get("schedule.mode"));
        evalResize = (Integer) v.get("eval.resize");
        evalCrop = (Integer) v.get("eval.crop");
        evalBatchSize = (Integer) v.get("eval.batch_size");
        checkTogether();
    }

    private void checkTogether() {
        if (minSize > maxSize) {
            throw new ConfigException("sampler.min_size (" + minSize + ") exceeds sampler.max_size (" + maxSize + ")");
        }
        for (String key : List.of("sampler.min_size", "sampler.max_size", "sampler.base_size")) {
            int v = (Integer) values.get(key);
            if (v % divisibleBy != 0) {
                throw new ConfigException(key + " (" + v + ") is not divisible by sampler.divisible_by ("
                        + divisibleBy + ")");
            }
        }
        if (evalCrop > evalResize) {
            throw new ConfigException("eval.crop (" + evalCrop + ") exceeds eval.resize (" + evalResize + ")");
        }
        if (warmupInitLr > lr || minLr > lr) {
            throw new ConfigException("schedule.warmup_init_lr and schedule.min_lr must not exceed optim.lr ("
                    + lr + ")");
        }
        try {
            Devices.parse(devices, Integer.MAX_VALUE);
        } catch (IllegalArgumentException e) {
            throw new ConfigException("train.devices: " + e.getMessage());
        }
    }

    /** The defaults (the paper's recipe for MobileViT-XXS on 8 GPUs). */
    public static TrainConfig defaults() {
        return resolve(Map.of(), List.of());
    }

    /**
     * Reads a YAML file and applies {@code overrides} ({@code section.key=value}, the value
     * parsed as YAML).
     *
     * @throws ConfigException naming the file and the first problem
     */
    public static TrainConfig load(Path file, List<String> overrides) {
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
            root = yaml().load(text);
        } catch (YAMLException e) {
            throw new ConfigException("config file " + file + " is not valid YAML: "
                    + e.getMessage().replaceAll("\\s+", " "));
        }
        if (root != null && !(root instanceof Map)) {
            throw new ConfigException("config file " + file + " must be a mapping of sections");
        }
        Map<String, Object> flat = new LinkedHashMap<>();
        try {
            flatten("", root == null ? Map.of() : (Map<?, ?>) root, flat);
            return resolve(flat, overrides);
        } catch (ConfigException e) {
            throw new ConfigException("config " + file + ": " + e.getMessage());
        }
    }

    /** Applies {@code overrides} to the flattened {@code given} values and checks everything. */
    static TrainConfig resolve(Map<String, Object> given, List<String> overrides) {
        Map<String, ConfigKey> byPath = new LinkedHashMap<>();
        KEYS.forEach(k -> byPath.put(k.path, k));
        Map<String, Object> raw = new LinkedHashMap<>(given);
        for (String path : raw.keySet()) {
            if (!byPath.containsKey(path)) {
                throw new ConfigException("unknown key " + path + knownKeysHint(path));
            }
        }
        for (String o : overrides) {
            int eq = o.indexOf('=');
            if (eq <= 0) {
                throw new ConfigException("--set expects section.key=value, got '" + o + "'");
            }
            String path = o.substring(0, eq).trim();
            if (!byPath.containsKey(path)) {
                throw new ConfigException("--set: unknown key " + path + knownKeysHint(path));
            }
            try {
                raw.put(path, yaml().load(o.substring(eq + 1)));
            } catch (YAMLException e) {
                throw new ConfigException("--set " + path + ": value is not valid YAML");
            }
        }
        Map<String, Object> values = new LinkedHashMap<>();
        for (ConfigKey k : KEYS) {
            values.put(k.path, k.convert(raw.get(k.path)));
        }
        return new TrainConfig(values);
    }

    private static String knownKeysHint(String path) {
        String section = path.contains(".") ? path.substring(0, path.indexOf('.') + 1) : "";
        List<String> siblings = KEYS.stream().map(k -> k.path).filter(p -> p.startsWith(section) && !section.isEmpty())
                .toList();
        return siblings.isEmpty() ? " (sections: model, data, sampler, train, optim, schedule, eval)"
                : " (known in this section: " + String.join(", ", siblings) + ")";
    }

    private static void flatten(String prefix, Map<?, ?> map, Map<String, Object> out) {
        for (Map.Entry<?, ?> e : map.entrySet()) {
            String path = prefix + e.getKey();
            if (e.getValue() instanceof Map) {
                flatten(path + ".", (Map<?, ?>) e.getValue(), out);
            } else if (prefix.isEmpty()) {
                throw new ConfigException("top-level key " + path + " must be a section (model, data, sampler, "
                        + "train, optim, schedule, eval)");
            } else {
                out.put(path, e.getValue());
            }
        }
    }

    private static Yaml yaml() {
        return new Yaml(new SafeConstructor(new LoaderOptions()));
    }

    /** A copy with further overrides applied. */
    public TrainConfig with(String... overrides) {
        return resolve(values, List.of(overrides));
    }

    /** The resolved configuration as YAML, every key present. */
    public String toYaml() {
        Map<String, Map<String, Object>> sections = new LinkedHashMap<>();
        values.forEach((path, value) -> {
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
        Object root = yaml().load(text);
        Map<String, Object> flat = new LinkedHashMap<>();
        flatten("", root == null ? Map.of() : (Map<?, ?>) root, flat);
        return resolve(flat, List.of());
    }

    /** Keys that change where a run goes (not how it is monitored or how fast it loads data). */
    private static final List<String> OPERATIONAL = List.of("data.root", "data.workers", "data.prefetch",
            "train.checkpoint_every", "train.keep_checkpoints", "train.log_every", "train.threads",
            "eval.batch_size");

    /** The keys (outside the operational ones) whose values differ between this and {@code other}. */
    public List<String> differences(TrainConfig other) {
        return KEYS.stream().map(k -> k.path)
                .filter(p -> !OPERATIONAL.contains(p))
                .filter(p -> !java.util.Objects.equals(values.get(p), other.values.get(p)))
                .toList();
    }

    @Override
    public String toString() {
        return toYaml();
    }
}
