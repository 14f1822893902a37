package mobilevit.data.codec;

/** A file that cannot be read or decoded as an image: the loaders skip it and count it. */
public final class UnreadableImageException extends Exception {
    private static final long serialVersionUID = 1L;

    public UnreadableImageException(String message) {
        super(message);
    }

    public UnreadableImageException(String message, Throwable cause) {
        super(message, cause);
    }
}
