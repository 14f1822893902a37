package mobilevit.trainer.config;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Declares one configuration key on a component of a section record ({@link ModelSection}, ...).
 * The key's name is the component's name in snake_case under the section's name
 * ({@code ModelSection.numClasses} is {@code model.num_classes}); its kind is the component's type:
 * {@code int}, {@code long}, {@code double} (or {@code Double} where the default is {@code null}),
 * {@code String}, {@code List<Double>} of the default's length, {@code Devices.Spec} (a device
 * list, its syntax checked at load), or an enum with a static {@code parse(String)} and an
 * {@code id()} (its name in the file). {@link ConfigBinder} reads it.
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.RECORD_COMPONENT)
@interface ConfigKey {

    /** The default, as YAML; {@code "null"}: no value unless one is given. */
    String byDefault();

    /** The smallest accepted number (of each element, for a list). */
    double min() default Double.NEGATIVE_INFINITY;

    /** The largest accepted number. */
    double max() default Double.POSITIVE_INFINITY;

    /** Accepted numbers are below this (an open upper bound, as for dropout rates). */
    double below() default Double.POSITIVE_INFINITY;

    /** What the key does, one line (shown by {@code train --help}). */
    String doc();
}
