package mobilevit.data.pipeline;

import mobilevit.core.Choice;

/** How images are resized (configuration key {@code data.interpolation}). */
public enum Interpolation implements Choice {
    /** OpenCV {@code INTER_LINEAR}, no antialiasing: what CVNets v0.1 trained and evaluated with. */
    BILINEAR("bilinear"),
    /** Pillow's antialiased bilinear filter: what Hugging Face's MobileViT image processor uses. */
    BILINEAR_ANTIALIAS("bilinear-antialias");

    private final String id;

    Interpolation(String id) {
        this.id = id;
    }

    /** The configuration name. */
    @Override
    public String id() {
        return id;
    }

    /** The constant of a configuration name. */
    public static Interpolation parse(String id) {
        return Choice.parse(Interpolation.class, id,
                t -> "unknown interpolation '" + t + "' (expected " + Choice.alternatives(Interpolation.class) + ")");
    }
}
