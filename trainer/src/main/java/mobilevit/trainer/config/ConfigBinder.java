package mobilevit.trainer.config;

import mobilevit.model.Devices;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Binds YAML values, flattened to {@code section.key} paths, onto a record of section records
 * whose components declare their keys with {@link ConfigKey}, and back. A value that does not fit
 * is refused with one line naming the key and the value; the records' constructors check what
 * concerns several keys.
 */
final class ConfigBinder {

    private ConfigBinder() {}

    /** One declared key: its path, the record component it fills, and its declaration. */
    record Key(String path, RecordComponent component, ConfigKey declaration) {}

    /** The keys of {@code type} (a record of section records), in declaration order. */
    static List<Key> keys(Class<? extends Record> type) {
        List<Key> out = new ArrayList<>();
        collect(type, "", out);
        return out;
    }

    private static void collect(Class<?> type, String prefix, List<Key> out) {
        for (RecordComponent c : type.getRecordComponents()) {
            String path = prefix + snakeCase(c.getName());
            if (c.getType().isRecord()) {
                collect(c.getType(), path + ".", out);
            } else {
                ConfigKey declaration = c.getAnnotation(ConfigKey.class);
                if (declaration == null) {
                    throw new IllegalStateException(type.getName() + "." + c.getName() + " has no @ConfigKey");
                }
                out.add(new Key(path, c, declaration));
            }
        }
    }

    /** A {@code type} from {@code given} values by path; a missing (or null) value takes the key's default. */
    static <R extends Record> R bind(Class<R> type, Map<String, Object> given) {
        return type.cast(bind(type, "", given));
    }

    private static Object bind(Class<?> type, String prefix, Map<String, Object> given) {
        RecordComponent[] components = type.getRecordComponents();
        Object[] args = new Object[components.length];
        Class<?>[] types = new Class<?>[components.length];
        for (int i = 0; i < components.length; i++) {
            RecordComponent c = components[i];
            String path = prefix + snakeCase(c.getName());
            types[i] = c.getType();
            args[i] = c.getType().isRecord() ? bind(c.getType(), path + ".", given)
                    : value(new Key(path, c, c.getAnnotation(ConfigKey.class)), given.get(path));
        }
        try {
            return type.getDeclaredConstructor(types).newInstance(args);
        } catch (InvocationTargetException e) {
            if (e.getCause() instanceof RuntimeException cause) { // a check of the record, e.g. a ConfigException
                throw cause;
            }
            throw new IllegalStateException(type.getName() + " cannot be constructed", e.getCause());
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(type.getName() + " cannot be constructed", e);
        }
    }

    /** The values of {@code config} by path, as YAML writes them (an enum as its id). */
    static Map<String, Object> unbind(Record config) {
        Map<String, Object> out = new LinkedHashMap<>();
        unbind(config, "", out);
        return out;
    }

    private static void unbind(Object record, String prefix, Map<String, Object> out) {
        for (RecordComponent c : record.getClass().getRecordComponents()) {
            String path = prefix + snakeCase(c.getName());
            Object v = invoke(c, record);
            if (c.getType().isRecord()) {
                unbind(v, path + ".", out);
            } else if (v instanceof Enum<?> e) {
                out.put(path, id(e));
            } else if (v instanceof Devices.Spec devices) {
                out.put(path, devices.toString());
            } else if (v instanceof List<?> list) {
                out.put(path, new ArrayList<>(list));
            } else {
                out.put(path, v);
            }
        }
    }

    private static Object value(Key key, Object raw) {
        Object v = raw != null ? raw : yaml().load(key.declaration.byDefault());
        Class<?> type = key.component.getType();
        if (v == null) {
            if (type.isPrimitive()) {
                throw new IllegalStateException(key.path + " needs a default");
            }
            return null;
        }
        if (type == int.class) {
            long n = wholeNumber(key, v);
            if (n > Integer.MAX_VALUE || n < Integer.MIN_VALUE) {
                throw bad(key, v, "an integer");
            }
            checkRange(key, n, v);
            return (int) n;
        }
        if (type == long.class) {
            long n = wholeNumber(key, v);
            checkRange(key, n, v);
            return n;
        }
        if (type == double.class || type == Double.class) {
            double d = number(key, v);
            checkRange(key, d, v);
            return d;
        }
        if (type == List.class) {
            return numbers(key, v);
        }
        if (type == boolean.class) {
            if (v instanceof Boolean b) {
                return b;
            }
            throw bad(key, v, "true or false");
        }
        if (type == String.class) {
            return text(key, v);
        }
        if (type.isEnum()) {
            return choice(key, type, v);
        }
        if (type == Devices.Spec.class) {
            return devices(key, v);
        }
        throw new IllegalStateException(key.path + ": no conversion to " + key.component.getGenericType());
    }

    private static List<Double> numbers(Key key, Object v) {
        if (key.component.getGenericType() instanceof ParameterizedType p
                && p.getActualTypeArguments()[0] != Double.class) {
            throw new IllegalStateException(key.path + ": only lists of Double are supported");
        }
        if (!(v instanceof List<?> list)) {
            throw bad(key, v, "a list of numbers");
        }
        List<Double> out = new ArrayList<>();
        for (Object o : list) {
            double d = number(key, o);
            checkRange(key, d, v);
            out.add(d);
        }
        int length = ((List<?>) yaml().load(key.declaration.byDefault())).size();
        if (out.size() != length) {
            throw bad(key, v, "a list of " + length + " numbers");
        }
        return List.copyOf(out);
    }

    /** A device list, its syntax checked here; the GPUs it names are counted when the run starts. */
    private static Devices.Spec devices(Key key, Object v) {
        try {
            return Devices.spec(text(key, v));
        } catch (IllegalArgumentException e) {
            throw new ConfigException(key.path + ": " + e.getMessage());
        }
    }

    private static String text(Key key, Object v) {
        if (!(v instanceof String || v instanceof Number || v instanceof Boolean)) {
            throw bad(key, v, "a text value");
        }
        return v.toString().trim();
    }

    /** An enum value by its type's {@code parse}, given case-insensitively; refused with the ids of its constants. */
    private static Object choice(Key key, Class<?> type, Object v) {
        String text = text(key, v).toLowerCase(Locale.ROOT);
        try {
            return type.getMethod("parse", String.class).invoke(null, text);
        } catch (InvocationTargetException e) {
            if (e.getCause() instanceof IllegalArgumentException) {
                throw bad(key, v, "one of " + Arrays.stream(type.getEnumConstants()).map(c -> id((Enum<?>) c))
                        .collect(Collectors.joining(", ")));
            }
            throw new IllegalStateException(type.getName() + ".parse failed", e.getCause());
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(type.getName() + " has no public static parse(String)", e);
        }
    }

    private static String id(Enum<?> e) {
        try {
            return (String) e.getClass().getMethod("id").invoke(e);
        } catch (ReflectiveOperationException x) {
            throw new IllegalStateException(e.getClass().getName() + " has no public id()", x);
        }
    }

    private static Object invoke(RecordComponent c, Object record) {
        try {
            return c.getAccessor().invoke(record);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("cannot read " + c, e);
        }
    }

    private static long wholeNumber(Key key, Object v) {
        if (v instanceof Integer || v instanceof Long) {
            return ((Number) v).longValue();
        }
        throw bad(key, v, v instanceof BigInteger ? "an integer in range" : "an integer");
    }

    private static double number(Key key, Object v) {
        if (v instanceof Number n && Double.isFinite(n.doubleValue())) {
            return n.doubleValue();
        }
        throw bad(key, v, "a finite number");
    }

    private static void checkRange(Key key, double v, Object raw) {
        ConfigKey d = key.declaration;
        if (v >= d.min() && v <= d.max() && v < d.below()) {
            return;
        }
        String range;
        if (Double.isFinite(d.below())) {
            range = "in [" + format(d.min()) + ", " + format(d.below()) + ")";
        } else if (Double.isFinite(d.max())) {
            range = "in [" + format(d.min()) + ", " + format(d.max()) + "]";
        } else {
            range = ">= " + format(d.min());
        }
        throw new ConfigException(key.path + " must be " + range + ", got " + raw);
    }

    private static String format(double d) {
        return d == Math.rint(d) && Math.abs(d) < 1e15 ? Long.toString((long) d) : Double.toString(d);
    }

    private static ConfigException bad(Key key, Object raw, String expected) {
        String shown = raw instanceof String ? "'" + raw + "'" : String.valueOf(raw);
        return new ConfigException(key.path + " must be " + expected + ", got " + shown);
    }

    private static String snakeCase(String camel) {
        return camel.replaceAll("([A-Z])", "_$1").toLowerCase(Locale.ROOT);
    }

    /** SnakeYAML for configs: plain values only, and a key given twice in one mapping is an error, not the last one winning. */
    static Yaml yaml() {
        LoaderOptions options = new LoaderOptions();
        options.setAllowDuplicateKeys(false);
        return new Yaml(new SafeConstructor(options));
    }
}
