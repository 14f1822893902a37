package mobilevit.trainer;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/** One key of the YAML configuration: its path, kind of value, default and accepted range. */
final class ConfigKey {

    enum Kind { INT, LONG, DOUBLE, STRING, DOUBLES }

    final String path;
    final Kind kind;
    final Object defaultValue;
    private final double min;
    private final double max;
    private final boolean maxExclusive;
    private final List<String> choices;
    private final boolean nullable;

    private ConfigKey(String path, Kind kind, Object defaultValue, double min, double max, boolean maxExclusive,
            List<String> choices, boolean nullable) {
        this.path = path;
        this.kind = kind;
        this.defaultValue = defaultValue;
        this.min = min;
        this.max = max;
        this.maxExclusive = maxExclusive;
        this.choices = choices;
        this.nullable = nullable;
    }

    static ConfigKey integer(String path, int def, int min) {
        return new ConfigKey(path, Kind.INT, def, min, Double.POSITIVE_INFINITY, false, List.of(), false);
    }

    static ConfigKey longValue(String path, long def) {
        return new ConfigKey(path, Kind.LONG, def, Double.NEGATIVE_INFINITY, Double.POSITIVE_INFINITY, false,
                List.of(), false);
    }

    /** A real number in [min, max] (or [min, max) when {@code maxExclusive}). */
    static ConfigKey real(String path, Double def, double min, double max, boolean maxExclusive) {
        return new ConfigKey(path, Kind.DOUBLE, def, min, max, maxExclusive, List.of(), def == null);
    }

    static ConfigKey reals(String path, double[] def, double min, double max) {
        List<Double> d = new ArrayList<>();
        Arrays.stream(def).forEach(d::add);
        return new ConfigKey(path, Kind.DOUBLES, d, min, max, true, List.of(), false);
    }

    static ConfigKey text(String path, String def, String... choices) {
        return new ConfigKey(path, Kind.STRING, def, 0, 0, false, List.of(choices), def == null);
    }

    /** Converts and checks a raw YAML value (null means: the default). */
    Object convert(Object raw) {
        if (raw == null) {
            if (!nullable && defaultValue == null) {
                throw new ConfigException(path + " is required");
            }
            return defaultValue;
        }
        switch (kind) {
            case INT: {
                long v = wholeNumber(raw);
                if (v > Integer.MAX_VALUE || v < Integer.MIN_VALUE) {
                    throw bad(raw, "an integer");
                }
                checkRange(v, raw);
                return (int) v;
            }
            case LONG:
                return wholeNumber(raw);
            case DOUBLE: {
                double v = number(raw);
                checkRange(v, raw);
                return v;
            }
            case DOUBLES: {
                if (!(raw instanceof List)) {
                    throw bad(raw, "a list of numbers");
                }
                List<Double> out = new ArrayList<>();
                for (Object o : (List<?>) raw) {
                    double v = number(o);
                    checkRange(v, raw);
                    out.add(v);
                }
                if (out.size() != ((List<?>) defaultValue).size()) {
                    throw bad(raw, "a list of " + ((List<?>) defaultValue).size() + " numbers");
                }
                return out;
            }
            default: {
                if (!(raw instanceof String || raw instanceof Number || raw instanceof Boolean)) {
                    throw bad(raw, "a text value");
                }
                String v = raw.toString().trim();
                if (!choices.isEmpty() && !choices.contains(v.toLowerCase(Locale.ROOT))) {
                    throw bad(raw, "one of " + String.join(", ", choices));
                }
                return choices.isEmpty() ? v : v.toLowerCase(Locale.ROOT);
            }
        }
    }

    private long wholeNumber(Object raw) {
        if (raw instanceof Integer || raw instanceof Long) {
            return ((Number) raw).longValue();
        }
        if (raw instanceof java.math.BigInteger) {
            throw bad(raw, "an integer in range");
        }
        throw bad(raw, "an integer");
    }

    private double number(Object raw) {
        if (raw instanceof Number) {
            double v = ((Number) raw).doubleValue();
            if (Double.isFinite(v)) {
                return v;
            }
        }
        throw bad(raw, "a finite number");
    }

    private void checkRange(double v, Object raw) {
        boolean aboveMax = maxExclusive ? v >= max : v > max;
        if (v < min || aboveMax) {
            String range;
            if (Double.isInfinite(max)) {
                range = ">= " + fmt(min);
            } else {
                range = "in [" + fmt(min) + ", " + fmt(max) + (maxExclusive ? ")" : "]");
            }
            throw new ConfigException(path + " must be " + range + ", got " + raw);
        }
    }

    private static String fmt(double d) {
        return d == Math.rint(d) && Math.abs(d) < 1e15 ? Long.toString((long) d) : Double.toString(d);
    }

    private ConfigException bad(Object raw, String expected) {
        String shown = raw instanceof String ? "'" + raw + "'" : String.valueOf(raw);
        return new ConfigException(path + " must be " + expected + ", got " + shown);
    }
}
