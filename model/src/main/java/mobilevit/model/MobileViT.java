package mobilevit.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Parameter;
import ai.djl.nn.norm.BatchNorm;
import ai.djl.nn.norm.LayerNorm;
import ai.djl.training.ParameterStore;
import ai.djl.training.initializer.NormalInitializer;
import ai.djl.util.PairList;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

/**
 * MobileViT v1 (Mehta and Rastegari, ICLR 2022) built from an {@link Architecture}: the
 * {@link #features() features} (stem, stages of MV2 and MobileViT blocks, 1x1 expansion conv) and
 * the {@link #head() head} (global average pooling, dropout, linear classifier). Input: NCHW
 * float32, BGR, values in [0, 1]; output: logits [N, classes], float32 also when the forward
 * computes in float16 ({@link Precision}), whichever way it stores its feature maps
 * ({@link MemoryFormat}).
 *
 * <p>Parameter paths ({@link #namedParameters()}) are CVNets' state-dict names, e.g.
 * {@code layer_3.1.global_rep.0.pre_norm_mha.1.qkv_proj.weight}: the features' and the head's own.
 */
public final class MobileViT extends AbstractBlock {

    private final Architecture architecture;
    private final int numClasses;
    private final Features features;
    private final Head head;

    private MobileViT(Builder b) {
        architecture = b.architecture;
        numClasses = b.numClasses;
        float transformerDropout = b.transformerDropout == null
                ? architecture.transformerDropout() : b.transformerDropout;
        features = addChildBlock("features", new Features(architecture, transformerDropout));
        head = addChildBlock("head", new Head(numClasses, b.classifierDropout));
    }

    public static Builder builder() {
        return new Builder();
    }

    public Architecture architecture() {
        return architecture;
    }

    public int numClasses() {
        return numClasses;
    }

    /** Stem to final expansion conv: [N, 3, H, W] to [N, C, H/32, W/32] (for fine-tuning, export). */
    public Features features() {
        return features;
    }

    /** Pooling, dropout and classifier: [N, C, h, w] to logits [N, classes]. */
    public Head head() {
        return head;
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        return new NDList(forward(ps, inputs.singletonOrThrow(), training, params, StageRecorder.NONE));
    }

    /**
     * The forward, reporting the stem, each stage, the expansion conv, the pooled features, the
     * logits and the MobileViT blocks' internals ({@code layer_3_mvit_unfolded}, ...) to
     * {@code recorder}, under the names of the reference fixtures.
     */
    public NDArray forward(ParameterStore ps, NDArray input, boolean training,
            PairList<String, Object> params, StageRecorder recorder) {
        NDArray x = features.forward(ps, input, training, params, recorder);
        return head.forward(ps, x, training, params, recorder);
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return new Shape[] {new Shape(inputShapes[0].get(0), numClasses)};
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        features.initialize(manager, dataType, inputShapes);
        head.initialize(manager, dataType, features.getOutputShapes(inputShapes));
    }

    /**
     * Every parameter (BatchNorm running statistics included) under its CVNets state-dict name,
     * in definition order.
     */
    public Map<String, Parameter> namedParameters() {
        Map<String, Parameter> out = new LinkedHashMap<>();
        for (ParameterTree.Entry e : ParameterTree.walk(features, head)) {
            out.put(e.name(), e.parameter());
        }
        return Collections.unmodifiableMap(out);
    }

    /**
     * The names of the BatchNorm and LayerNorm parameters (weights, biases and running statistics),
     * which stay float32 when the forward computes in float16 ({@link Precision}).
     */
    public Set<String> normalisationParameterNames() {
        Set<String> out = new LinkedHashSet<>();
        for (ParameterTree.Entry e : ParameterTree.walk(features, head)) {
            if (e.owner() instanceof BatchNorm || e.owner() instanceof LayerNorm) {
                out.add(e.name());
            }
        }
        return Collections.unmodifiableSet(out);
    }

    /** The array of every state entry (parameters and running statistics) by CVNets name. */
    public Map<String, NDArray> state() {
        Map<String, NDArray> out = new LinkedHashMap<>();
        namedParameters().forEach((name, p) -> out.put(name, p.getArray()));
        return Collections.unmodifiableMap(out);
    }

    /** Number of trainable parameter elements (BatchNorm running statistics excluded). */
    public long trainableParameterCount() {
        return namedParameters().values().stream()
                .filter(Parameter::requiresGradient)
                .mapToLong(p -> p.getArray().size())
                .sum();
    }

    /** Builds a {@link MobileViT}. */
    public static final class Builder {
        private Architecture architecture = Variant.XXS.architecture();
        private int numClasses = 1000;
        private float classifierDropout = 0.1f;
        private Float transformerDropout;
        private DataType dataType = DataType.FLOAT32;

        /** One of the paper's sizes (XXS by default). */
        public Builder setVariant(Variant variant) {
            return setArchitecture(variant.architecture());
        }

        /** Any table of stages, e.g. one built by hand. */
        public Builder setArchitecture(Architecture architecture) {
            this.architecture = architecture;
            return this;
        }

        public Builder optNumClasses(int numClasses) {
            this.numClasses = numClasses;
            return this;
        }

        /** Dropout before the classifier (0.1 in the paper). */
        public Builder optClassifierDropout(float rate) {
            this.classifierDropout = rate;
            return this;
        }

        /** Dropout in the transformers; the architecture's (the variant's v0.1 value) when not set. */
        public Builder optTransformerDropout(float rate) {
            this.transformerDropout = rate;
            return this;
        }

        /**
         * Builds the model, creates its parameters in {@code manager} (on that manager's device)
         * and initialises them as CVNets v0.1 does, from a generator seeded with {@code seed}.
         */
        public MobileViT buildInitialized(NDManager manager, long seed) {
            MobileViT model = build();
            model.setInitializer(new NormalInitializer(), Parameter.Type.WEIGHT);
            model.initialize(manager, dataType, new Shape(1, 3, 256, 256));
            CvnetsInit.apply(model, seed);
            return model;
        }

        /** Parameter type of {@link #buildInitialized} (float32; float64 for exact reference checks). */
        public Builder optDataType(DataType dataType) {
            this.dataType = dataType;
            return this;
        }

        public MobileViT build() {
            if (numClasses < 1) {
                throw new IllegalArgumentException("num_classes must be at least 1, got " + numClasses);
            }
            checkRate("classifier dropout", classifierDropout);
            if (transformerDropout != null) {
                checkRate("transformer dropout", transformerDropout);
            }
            return new MobileViT(this);
        }

        private static void checkRate(String what, float rate) {
            if (!(rate >= 0f && rate < 1f)) {
                throw new IllegalArgumentException(what + " must be in [0, 1), got " + rate);
            }
        }
    }
}
