package mobilevit.model;

/** Weights whose keys or shapes do not fit the model; the message lists every difference. */
public final class WeightsMismatchException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    public WeightsMismatchException(String message) {
        super(message);
    }
}
