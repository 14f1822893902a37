package mobilevit.trainer.config;

import com.google.gson.JsonObject;

import mobilevit.model.MobileViT;
import mobilevit.model.Variant;

/** Section {@code model}: which MobileViT, and its head. */
public record ModelSection(
        @ConfigKey(byDefault = "xxs", doc = "xxs, xs or s (also CVNets' xx_small, x_small, small)")
        Variant variant,
        @ConfigKey(byDefault = "1000", min = 2, doc = "classes of the head (at least 2: one class has nothing to learn)")
        int numClasses,
        @ConfigKey(byDefault = "0.1", min = 0, below = 1, doc = "dropout before the classifier")
        double classifierDropout,
        @ConfigKey(byDefault = "null", min = 0, below = 1,
                doc = "dropout in the transformers (null: the variant's CVNets v0.1 value)")
        Double transformerDropout) {

    /** Records which model a checkpoint holds in its state.json (for the reader; a resume takes the config's). */
    public void export(JsonObject state) {
        state.addProperty("variant", variant.id());
        state.addProperty("num_classes", numClasses);
    }

    /** The model this section describes (the trainer's, and the one a checkpoint's weights load into). */
    public MobileViT.Builder builder() {
        MobileViT.Builder b = MobileViT.builder().setVariant(variant).optNumClasses(numClasses)
                .optClassifierDropout((float) classifierDropout);
        return transformerDropout == null ? b : b.optTransformerDropout(transformerDropout.floatValue());
    }
}
