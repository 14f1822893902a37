package mobilevit.trainer;

/** A configuration that cannot be used; the message is one line naming the key and the value. */
public final class ConfigException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    public ConfigException(String message) {
        super(message);
    }
}
