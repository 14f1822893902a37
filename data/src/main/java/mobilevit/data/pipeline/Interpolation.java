package mobilevit.data.pipeline;

/** How images are resized (configuration key {@code data.interpolation}). */
public enum Interpolation {
    /** OpenCV {@code INTER_LINEAR}, no antialiasing: what CVNets v0.1 trained and evaluated with. */
    BILINEAR("bilinear"),
    /** Pillow's antialiased bilinear filter: what Hugging Face's MobileViT image processor uses. */
    BILINEAR_ANTIALIAS("bilinear-antialias");

    private final String id;

    Interpolation(String id) {
        this.id = id;
    }

    /** The configuration name. */
    public String id() {
        return id;
    }

    /**
     * The constant of a configuration name. Like every choice's {@code parse}, an unknown name is an
     * IllegalArgumentException, which the caller words for its key or option.
     */
    public static Interpolation parse(String id) {
        for (Interpolation i : values()) {
            if (i.id.equals(id)) {
                return i;
            }
        }
        throw new IllegalArgumentException("unknown interpolation '" + id + "' (expected bilinear or bilinear-antialias)");
    }
}
