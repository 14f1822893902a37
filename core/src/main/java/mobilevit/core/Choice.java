package mobilevit.core;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;

/**
 * A constant chosen by name in a configuration or on the command line: implemented by the enums of
 * such choices (a variant, a precision, an interpolation, ...), each of which keeps a
 * {@code public static parse(String)} that calls {@link #parse} with its own wording of a refusal.
 */
public interface Choice {

    /** The constant's name in its enum ({@link Enum#name()}). */
    String name();

    /** The name in configurations and on the command line: by default the constant's, in lower case. */
    default String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Every name that selects this constant, in lower case, its {@link #id()} first. */
    default List<String> names() {
        return List.of(id());
    }

    /**
     * The constant of {@code type} that {@code text} names (any of its {@link #names()}, in any case,
     * surrounding blanks ignored).
     *
     * @param refusal the one-line message for a text that names none, given the text as it came
     * @throws IllegalArgumentException with that message, which the caller words for its key or option
     */
    static <E extends Enum<E> & Choice> E parse(Class<E> type, String text, Function<String, String> refusal) {
        String wanted = text == null ? "" : text.trim().toLowerCase(Locale.ROOT);
        return Arrays.stream(type.getEnumConstants()).filter(c -> c.names().contains(wanted)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException(refusal.apply(text)));
    }

    /** The ids of {@code type}'s constants as a sentence says them: {@code "a, b or c"}. */
    static <E extends Enum<E> & Choice> String alternatives(Class<E> type) {
        List<String> ids = Arrays.stream(type.getEnumConstants()).map(Choice::id).toList();
        return ids.size() == 1 ? ids.get(0) : String.join(", ", ids.subList(0, ids.size() - 1)) + " or "
                + ids.get(ids.size() - 1);
    }
}
