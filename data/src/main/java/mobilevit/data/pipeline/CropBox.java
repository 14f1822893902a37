package mobilevit.data.pipeline;

/** A crop in pixel units of an image: top row, left column, height and width. */
public record CropBox(int top, int left, int height, int width) {

    public CropBox {
        if (top < 0 || left < 0 || height <= 0 || width <= 0) {
            throw new IllegalArgumentException("invalid crop box " + top + "," + left + " " + height + "x" + width);
        }
    }
}
