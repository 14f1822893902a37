package mobilevit.trainer.checkpoint;

import ai.djl.Device;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;

import mobilevit.model.MobileViT;
import mobilevit.model.StateDict;
import mobilevit.model.WeightsFile;
import mobilevit.trainer.config.ConfigException;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Starts a fresh run from pretrained weights (fine-tuning): every tensor of the file whose name
 * (CVNets or Hugging Face) and shape fit the model is loaded; the rest of the model keeps its
 * seeded initialisation, which re-initialises the classifier when the file's head has another
 * number of classes. Refused, with the key lists, when fewer than half of the model's tensors fit.
 */
public final class InitWeights {

    private static final Logger LOG = LoggerFactory.getLogger(InitWeights.class);

    private InitWeights() {}

    /**
     * Loads what fits of {@code source} into each of {@code models} (one variant and head, e.g. a
     * run's model and its EMA copy).
     *
     * @param source a safetensors or torch.save file, or a checkpoint, its checkpoints/ folder or a
     *     run folder (the EMA weights of the checkpoint that names)
     * @throws ConfigException when little of the file fits
     */
    public static void apply(Path source, MobileViT... models) {
        MobileViT model = models[0];
        try (NDManager scratch = NDManager.newBaseManager(Device.cpu())) {
            String what;
            NDList tensors;
            if (Files.isDirectory(source)) {
                Checkpoint.Contents c = Checkpoint.read(CheckpointStore.resolve(source), scratch);
                what = "the EMA weights of checkpoint " + c.dir();
                tensors = c.ema();
            } else {
                what = source.toString();
                tensors = WeightsFile.read(source, scratch);
            }
            StateDict.Fit fit = StateDict.fit(model, tensors);
            int total = model.namedParameters().size();
            String target = "MobileViT-" + model.architecture().name() + " with " + model.numClasses() + " classes";
            if (fit.matched().size() * 2 < total) {
                throw new ConfigException("--init-weights " + what + " fits only " + fit.matched().size() + " of the "
                        + total + " tensors of " + target + " (" + fit.naming().label() + " names): " + fit.differences());
            }
            for (MobileViT m : models) {
                StateDict.copy(m, fit.matched());
            }
            LOG.info("initialised from {} ({} names): loaded {} of the {} tensors of {}{}", what, fit.naming().label(),
                    fit.matched().size(), total, target, notLoaded(fit, model.numClasses()));
        }
    }

    /** What was not loaded: the classifier re-initialised, and any other difference; "" when everything was loaded. */
    private static String notLoaded(StateDict.Fit fit, int numClasses) {
        Map<String, String> head = new LinkedHashMap<>();
        Map<String, String> body = new LinkedHashMap<>();
        fit.misShaped().forEach((name, found) -> (name.startsWith("classifier.") ? head : body).put(name, found));
        StateDict.Fit rest = new StateDict.Fit(fit.naming(), fit.matched(), fit.missing(), fit.unexpected(), body);
        List<String> shapes = new ArrayList<>();
        head.forEach((name, found) -> shapes.add(name + " (" + found + ")"));
        return (head.isEmpty() ? "" : "; re-initialised the classifier for " + numClasses + " classes " + shapes)
                + (rest.exact() ? "" : "; kept the seeded initialisation of what does not fit: " + rest.differences());
    }
}
