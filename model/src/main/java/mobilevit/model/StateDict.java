package mobilevit.model;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A model's weights as named tensors, under CVNets' names (the model's own) or those of Hugging
 * Face's {@code MobileViTForImageClassification}, which splits the fused qkv projection into
 * query, key and value. The naming of a set of tensors is detected from its keys.
 */
public final class StateDict {

    /** The two naming schemes of released MobileViT weights. */
    public enum Naming {
        CVNETS("CVNets"), HUGGING_FACE("Hugging Face");

        private final String label;

        Naming(String label) {
            this.label = label;
        }

        /** "CVNets" or "Hugging Face". */
        public String label() {
            return label;
        }
    }

    private static final Pattern LAYER = Pattern.compile("layer_(\\d+)\\.(\\d+)\\.(.+)");
    private static final Pattern TRANSFORMER = Pattern.compile("global_rep\\.(\\d+)\\.(.+)");
    private static final String[] QKV = {"query", "key", "value"};
    private static final int LIST_LIMIT = 8;

    private StateDict() {}

    /** Hugging Face if any key is under {@code mobilevit.} or is {@code classifier.weight}. */
    public static Naming detect(Iterable<String> keys) {
        for (String k : keys) {
            if (k.startsWith("mobilevit.") || k.equals("classifier.weight")) {
                return Naming.HUGGING_FACE;
            }
        }
        return Naming.CVNETS;
    }

    /**
     * The Hugging Face name(s) of a CVNets parameter of a model of {@code architecture}: one name,
     * or the query, key and value names (split along dim 0, in that order) of a fused
     * {@code qkv_proj}.
     */
    public static List<String> huggingFaceNames(Architecture architecture, String cvnets) {
        String n;
        Matcher m = LAYER.matcher(cvnets);
        if (m.matches()) {
            int stage = Integer.parseInt(m.group(1));
            String index = m.group(2);
            String rest = m.group(3);
            String base = "mobilevit.encoder.layer." + (stage - 1) + ".";
            if (architecture.stages().get(stage - 1) instanceof InvertedResidualStage) {
                n = base + "layer." + index + "." + rest.replaceFirst("^block\\.", "");
            } else if (index.equals("0")) {
                n = base + "downsampling_layer." + rest.replaceFirst("^block\\.", "");
            } else {
                n = base + mobileVitBlockName(rest);
            }
        } else if (cvnets.startsWith("conv_1.")) {
            n = "mobilevit.conv_stem." + cvnets.substring("conv_1.".length());
        } else if (cvnets.startsWith("conv_1x1_exp.")) {
            n = "mobilevit." + cvnets;
        } else if (cvnets.startsWith("classifier.fc.")) {
            n = "classifier." + cvnets.substring("classifier.fc.".length());
        } else {
            throw new IllegalArgumentException("not a MobileViT parameter name: " + cvnets);
        }
        n = n.replace("exp_1x1.", "expand_1x1.")
                .replace("red_1x1.", "reduce_1x1.")
                .replace("block.conv.", "convolution.")
                .replace("block.norm.", "normalization.");
        if (n.contains(".qkv.")) {
            List<String> split = new ArrayList<>(3);
            for (String part : QKV) {
                split.add(n.replace(".qkv.", "." + part + "."));
            }
            return split;
        }
        return List.of(n);
    }

    private static String mobileVitBlockName(String rest) {
        Matcher t = TRANSFORMER.matcher(rest);
        if (t.matches()) {
            String layer = t.group(1);
            String tail = t.group(2);
            String prefix = "transformer.layer." + layer + ".";
            if (tail.startsWith("pre_norm_mha.0.")) {
                return prefix + "layernorm_before." + after(tail, "pre_norm_mha.0.");
            } else if (tail.startsWith("pre_norm_mha.1.qkv_proj.")) {
                return prefix + "attention.attention.qkv." + after(tail, "pre_norm_mha.1.qkv_proj.");
            } else if (tail.startsWith("pre_norm_mha.1.out_proj.")) {
                return prefix + "attention.output.dense." + after(tail, "pre_norm_mha.1.out_proj.");
            } else if (tail.startsWith("pre_norm_ffn.0.")) {
                return prefix + "layernorm_after." + after(tail, "pre_norm_ffn.0.");
            } else if (tail.startsWith("pre_norm_ffn.1.")) {
                return prefix + "intermediate.dense." + after(tail, "pre_norm_ffn.1.");
            } else if (tail.startsWith("pre_norm_ffn.4.")) {
                return prefix + "output.dense." + after(tail, "pre_norm_ffn.4.");
            }
            return "layernorm." + tail; // the LayerNorm after the last transformer layer
        }
        return rest.replace("local_rep.conv_3x3.", "conv_kxk.")
                .replace("local_rep.conv_1x1.", "conv_1x1.")
                .replace("conv_proj.", "conv_projection.");
    }

    private static String after(String s, String prefix) {
        return s.substring(prefix.length());
    }

    /**
     * How named tensors fit a model: the value for each parameter (by CVNets name; a Hugging Face
     * query/key/value triple already fused) whose tensors are in the file with the right shape, and
     * every difference.
     *
     * @param matched parameter name -> value, in the model's order
     * @param missing file names a parameter needs that the file lacks
     * @param unexpected file names no parameter uses
     * @param misShaped parameter name -> what the file has instead
     */
    public record Fit(Naming naming, Map<String, NDArray> matched, List<String> missing, List<String> unexpected,
            Map<String, String> misShaped) {

        /** True when every parameter is matched and every tensor used. */
        public boolean exact() {
            return missing.isEmpty() && unexpected.isEmpty() && misShaped.isEmpty();
        }

        /** "2 missing [...]; 0 unexpected; 1 mis-shaped [...]". */
        public String differences() {
            List<String> shapes = new ArrayList<>();
            misShaped.forEach((name, what) -> shapes.add(name + " (" + what + ")"));
            return describe("missing", missing) + "; " + describe("unexpected", unexpected) + "; "
                    + describe("mis-shaped", shapes);
        }
    }

    /** Matches named tensors to the model's parameters. BatchNorm {@code num_batches_tracked} entries are ignored. */
    public static Fit fit(MobileViT model, NDList tensors) {
        Map<String, NDArray> byName = new LinkedHashMap<>();
        for (NDArray a : tensors) {
            if (a.getName() != null && !a.getName().endsWith("num_batches_tracked")) {
                byName.put(a.getName(), a);
            }
        }
        Naming naming = detect(byName.keySet());
        Set<String> unused = new LinkedHashSet<>(byName.keySet());
        List<String> missing = new ArrayList<>();
        Map<String, String> misShaped = new LinkedHashMap<>();
        Map<String, NDArray> matched = new LinkedHashMap<>();
        for (Map.Entry<String, Parameter> e : model.namedParameters().entrySet()) {
            Shape expected = e.getValue().getArray().getShape();
            List<String> names = naming == Naming.CVNETS
                    ? List.of(e.getKey()) : huggingFaceNames(model.architecture(), e.getKey());
            List<NDArray> parts = new ArrayList<>();
            for (String name : names) {
                NDArray a = byName.get(name);
                if (a == null) {
                    missing.add(name);
                } else {
                    unused.remove(name);
                    parts.add(a);
                }
            }
            if (parts.size() != names.size()) {
                continue;
            }
            Shape found = parts.size() == 1 ? parts.get(0).getShape() : concatShape(parts);
            if (found == null || !found.equals(expected)) {
                misShaped.put(String.join("+", names), (found == null ? "parts of different shapes" : found)
                        + " in file, " + expected + " expected");
                continue;
            }
            matched.put(e.getKey(), parts.size() == 1 ? parts.get(0) : NDArrays.concat(new NDList(parts), 0));
        }
        return new Fit(naming, matched, missing, new ArrayList<>(unused), misShaped);
    }

    /**
     * Copies named tensors into the model, converting to each parameter's data type and device.
     * BatchNorm {@code num_batches_tracked} entries are ignored.
     *
     * @param source what the tensors came from, for the error message
     * @return the naming that was found
     * @throws WeightsMismatchException listing every missing, unexpected and mis-shaped key
     */
    public static Naming load(MobileViT model, NDList tensors, String source) {
        Fit fit = fit(model, tensors);
        if (!fit.exact()) {
            throw new WeightsMismatchException(source + " does not fit MobileViT-" + model.architecture().name() + " with "
                    + model.numClasses() + " classes (" + fit.naming().label() + " names): " + fit.differences());
        }
        copy(model, fit.matched());
        return fit.naming();
    }

    /** Copies values into the parameters they are named after (CVNets names), in each parameter's data type and device. */
    public static void copy(MobileViT model, Map<String, NDArray> values) {
        Map<String, Parameter> parameters = model.namedParameters();
        for (Map.Entry<String, NDArray> e : values.entrySet()) {
            NDArray target = parameters.get(e.getKey()).getArray();
            try (NDArray converted = e.getValue().toType(target.getDataType(), true)) {
                Autograd.copyInto(target, converted);
            }
        }
    }

    private static Shape concatShape(List<NDArray> parts) {
        Shape first = parts.get(0).getShape();
        long rows = 0;
        for (NDArray p : parts) {
            Shape s = p.getShape();
            if (s.dimension() != first.dimension() || !s.slice(1).equals(first.slice(1))) {
                return null;
            }
            rows += s.get(0);
        }
        long[] dims = first.getShape().clone();
        dims[0] = rows;
        return new Shape(dims);
    }

    private static String describe(String what, List<String> keys) {
        if (keys.isEmpty()) {
            return "0 " + what;
        }
        List<String> shown = keys.subList(0, Math.min(LIST_LIMIT, keys.size()));
        return keys.size() + " " + what + " [" + String.join(", ", shown)
                + (keys.size() > shown.size() ? ", ... " + (keys.size() - shown.size()) + " more" : "") + "]";
    }

    /**
     * Copies of every parameter under its CVNets name, on the CPU, in {@code manager}: what a
     * safetensors file of the model's own weights holds.
     */
    public static NDList export(MobileViT model, NDManager manager) {
        NDList out = new NDList();
        for (Map.Entry<String, Parameter> e : model.namedParameters().entrySet()) {
            NDArray copy = cpuCopy(e.getValue().getArray());
            copy.attach(manager);
            copy.setName(e.getKey());
            out.add(copy);
        }
        return out;
    }

    /**
     * A copy of {@code array} in CPU memory that shares nothing with it, outside the graph. (DJL's
     * {@code toDevice(cpu, true)} returns a new handle on the same memory when the array is
     * already on the CPU, since PyTorch's {@code to()} copies only when something changes.)
     */
    public static NDArray cpuCopy(NDArray array) {
        return Autograd.withoutGrad(() -> {
            if (array.getDevice().equals(Device.cpu())) {
                return array.duplicate();
            }
            return array.toDevice(Device.cpu(), false);
        });
    }
}
