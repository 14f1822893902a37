package mobilevit.trainer.config;

import mobilevit.core.UserError;

/** A configuration that cannot be used; the message is one line naming the key and the value (exit code 2). */
public final class ConfigException extends UserError {
    private static final long serialVersionUID = 1L;

    public ConfigException(String message) {
        super(message);
    }
}
