package mobilevit.data.pipeline;

/** One entry of the variable batch sampler's table: crop height and width, images per replica. */
public record Scale(int height, int width, int batch) {}
