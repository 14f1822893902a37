package mobilevit.export;

import mobilevit.core.UserError;

/**
 * The spatial size of an exported file's input: fixed at export (every shape a constant, a resize
 * only in the MobileViT blocks whose map sides need one), or free (H and W named dimensions, the
 * blocks' sizes computed as the file runs).
 *
 * @param height 0 when free
 * @param width 0 when free
 */
public record InputSize(int height, int width) {

    /** The model's total stride: a smaller side leaves its last stages without pixels. */
    public static final int MIN_SIDE = 32;

    /** Any size of at least {@link #MIN_SIDE} on each side. */
    public static final InputSize FREE = new InputSize(0, 0);

    /**
     * @throws UserError if a side is below {@link #MIN_SIDE}
     */
    public static InputSize fixed(int height, int width) {
        if (height < MIN_SIDE || width < MIN_SIDE) {
            throw new UserError("input size " + height + "x" + width + ": the model needs at least " + MIN_SIDE + "x"
                    + MIN_SIDE + " pixels (its total stride)");
        }
        return new InputSize(height, width);
    }

    public boolean free() {
        return height == 0;
    }

    @Override
    public String toString() {
        return free() ? "HxW free" : height + "x" + width;
    }
}
