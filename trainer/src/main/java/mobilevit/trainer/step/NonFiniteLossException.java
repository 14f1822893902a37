package mobilevit.trainer.step;

/** The loss, or under FP32 the gradient of a finite loss, became NaN or infinite; the step was not applied. */
public final class NonFiniteLossException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public NonFiniteLossException(String message) {
        super(message);
    }
}
