package mobilevit.trainer.step;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;

import mobilevit.model.Autograd;
import mobilevit.model.MobileViT;
import mobilevit.model.Precision;

import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A model's state in two contiguous buffers: {@link #parameters} (every trainable tensor, end to
 * end, in state-dict order) and {@link #buffers} (the BatchNorm running statistics). Every
 * {@link Parameter} of the model becomes a view into one of them, so validation, checkpoints and
 * weight loading see the same memory, while an optimizer step, an EMA update, zeroing, averaging
 * and broadcasting each cost a fixed number of native calls whatever the number of tensors (as
 * apex's and DeepSpeed's flat buffers, or PyTorch's fused optimizers).
 *
 * <p>Gradients: the flat parameter buffer is the autograd leaf. A training forward takes its
 * parameters from {@link #trainingStore}, which splits the leaf once ({@code split_with_sizes})
 * and reshapes each piece; the backward of that one split concatenates every gradient into the
 * leaf's gradient, so {@link #gradient} is one flat tensor. (Slicing the leaf view by view would
 * materialise a full-size zero gradient per view.) Under fp16 the forward also gets one recorded
 * float16 cast of the leaf ({@link #trainingStore}); the gradient still arrives in float32.
 */
public final class FlatState {

    /** Where a named tensor sits in a flat buffer. */
    public record Slot(String name, long offset, Shape shape) {
        long end() {
            return offset + shape.size();
        }
    }

    private final NDArray parameters;
    private final NDArray buffers;
    private final List<Slot> parameterSlots;
    private final List<Slot> bufferSlots;
    private final List<Parameter> trainable;
    /** Whether trainable slot i belongs to a BatchNorm or LayerNorm (float32 also under FP16 compute). */
    private final boolean[] normalisation;
    /** Split points of {@link #parameters} (every slot's end but the last), for {@code split}. */
    private final long[] splitPoints;

    private FlatState(NDArray parameters, NDArray buffers, List<Slot> parameterSlots, List<Slot> bufferSlots,
            List<Parameter> trainable, Set<String> normalisationNames) {
        this.parameters = parameters;
        this.buffers = buffers;
        this.parameterSlots = parameterSlots;
        this.bufferSlots = bufferSlots;
        this.trainable = trainable;
        normalisation = new boolean[parameterSlots.size()];
        for (int i = 0; i < normalisation.length; i++) {
            normalisation[i] = normalisationNames.contains(parameterSlots.get(i).name());
        }
        splitPoints = new long[parameterSlots.size() - 1];
        for (int i = 0; i < splitPoints.length; i++) {
            splitPoints[i] = parameterSlots.get(i).end();
        }
    }

    /**
     * Moves {@code model}'s state into flat buffers owned by {@code manager} (on the model's device)
     * and makes every parameter a view into them. The values are unchanged.
     *
     * @param leaf whether the parameter buffer records gradients (a replica that trains) or not
     *     (an average that is only blended into)
     */
    public static FlatState adopt(MobileViT model, NDManager manager, Gradients leaf) {
        List<Slot> pSlots = new ArrayList<>();
        List<Slot> bSlots = new ArrayList<>();
        List<Parameter> pList = new ArrayList<>();
        List<Parameter> bList = new ArrayList<>();
        long pSize = 0;
        long bSize = 0;
        for (Map.Entry<String, Parameter> e : model.namedParameters().entrySet()) {
            Shape shape = e.getValue().getArray().getShape();
            if (e.getValue().requiresGradient()) {
                pSlots.add(new Slot(e.getKey(), pSize, shape));
                pList.add(e.getValue());
                pSize += shape.size();
            } else {
                bSlots.add(new Slot(e.getKey(), bSize, shape));
                bList.add(e.getValue());
                bSize += shape.size();
            }
        }
        NDArray p = Autograd.withoutGrad(() -> concatenated(pList, manager));
        NDArray b = Autograd.withoutGrad(() -> concatenated(bList, manager));
        rebind(pList, pSlots, p);
        rebind(bList, bSlots, b);
        if (leaf == Gradients.RECORDED) {
            p.setRequiresGradient(true);
        }
        return new FlatState(p, b, Collections.unmodifiableList(pSlots), Collections.unmodifiableList(bSlots),
                List.copyOf(pList), model.normalisationParameterNames());
    }

    /** Whether a flat parameter buffer is an autograd leaf. */
    public enum Gradients { RECORDED, NOT_RECORDED }

    private static NDArray concatenated(List<Parameter> list, NDManager manager) {
        NDList flat = new NDList();
        for (Parameter p : list) {
            flat.add(p.getArray().flatten());
        }
        NDArray out = NDArrays.concat(flat, 0);
        out.attach(manager);
        return out;
    }

    /** Replaces each parameter's array by its view of {@code flat} (DJL's Parameter keeps one array). */
    private static void rebind(List<Parameter> list, List<Slot> slots, NDArray flat) {
        for (int i = 0; i < list.size(); i++) {
            Parameter p = list.get(i);
            NDArray view = view(flat, slots.get(i), flat.getManager());
            p.close(); // the old array; its values are in flat
            p.setShape(null); // DJL accepts a new array only on a parameter without shape
            p.setArray(view);
        }
    }

    /** A view of slot {@code s} of {@code flat}, owned by {@code owner}. */
    private static NDArray view(NDArray flat, Slot s, NDManager owner) {
        return Autograd.withoutGrad(() -> {
            try (NDArray range = flat.get(new NDIndex("{}:{}", s.offset(), s.end()))) {
                NDArray v = range.reshape(s.shape()); // shares the storage; closing range frees a handle only
                v.attach(owner);
                return v;
            }
        });
    }

    /** Every trainable tensor, end to end (the autograd leaf of a training replica). */
    public NDArray parameters() {
        return parameters;
    }

    /** Every BatchNorm running statistic, end to end. */
    public NDArray buffers() {
        return buffers;
    }

    public List<Slot> parameterSlots() {
        return parameterSlots;
    }

    public Device device() {
        return parameters.getDevice();
    }

    /**
     * The gradient accumulated in {@link #parameters} since the last {@link #zeroGradient}, as a
     * handle owned by {@code scope} (the memory stays the leaf's).
     */
    public NDArray gradient(NDManager scope) {
        NDArray g = parameters.getGradient();
        g.attach(scope);
        return g;
    }

    /** Clears the accumulated gradient: one native call. */
    public void zeroGradient() {
        Autograd.zeroGradient(parameters);
    }

    /** Copies {@code other}'s values (same layout, any device) into this state: two native copies. */
    public void copyFrom(FlatState other) {
        Autograd.copyInto(parameters, other.parameters);
        Autograd.copyInto(buffers, other.buffers);
    }

    /**
     * A parameter store for one training forward in {@code precision}: the trainable parameters are
     * pieces of one split of the flat leaf (made in {@code scope}, recorded by autograd), the running
     * statistics the parameters' own views, which BatchNorm updates in place. Under
     * {@link Precision#FP16} the leaf is also cast to float16 once (recorded by autograd, so the
     * gradient reaches the float32 leaf as float32) and split: convolutions and linear layers get
     * float16 pieces, BatchNorm and LayerNorm the float32 pieces of the leaf's own split.
     */
    public ParameterStore trainingStore(NDManager scope, Precision precision) {
        NDList full = split(parameters, scope);
        if (precision == Precision.FP32) {
            return store(scope, full);
        }
        NDArray half = Autograd.castRecorded(parameters, DataType.FLOAT16, scope);
        NDList halves = split(half, scope);
        NDList pieces = new NDList(full.size());
        for (int i = 0; i < full.size(); i++) {
            pieces.add(normalisation[i] ? full.get(i) : halves.get(i));
        }
        return store(scope, pieces);
    }

    /**
     * One split of {@code flat} at the slots' ends, each piece shaped as its slot and owned by
     * {@code scope}. The 1-d slots (two thirds of them: biases, BatchNorm and LayerNorm) are their
     * pieces as they come; a reshape would add a call to the forward and one to the backward.
     */
    private NDList split(NDArray flat, NDManager scope) {
        NDList pieces = flat.split(splitPoints);
        NDList shaped = new NDList(pieces.size());
        for (int i = 0; i < pieces.size(); i++) {
            NDArray piece = pieces.get(i);
            if (piece != flat) { // DJL's split of a single slot returns the array itself
                piece.attach(scope);
            }
            Shape shape = parameterSlots.get(i).shape();
            if (shape.dimension() > 1) {
                piece = piece.reshape(shape);
                piece.attach(scope);
            }
            shaped.add(piece);
        }
        return shaped;
    }

    private ParameterStore store(NDManager scope, NDList pieces) {
        Map<Parameter, NDArray> byParameter = new IdentityHashMap<>();
        for (int i = 0; i < pieces.size(); i++) {
            byParameter.put(trainable.get(i), pieces.get(i));
        }
        return new ParameterStore(scope, false) {
            @Override
            public NDArray getValue(Parameter parameter, Device device, boolean training) {
                NDArray piece = parameter == null ? null : byParameter.get(parameter);
                return piece != null ? piece : super.getValue(parameter, device, training);
            }
        };
    }

    /**
     * Named views, owned by {@code owner}, of a flat tensor laid out as {@link #parameters} (a
     * gradient, an optimizer moment), in state-dict order.
     */
    public Map<String, NDArray> named(NDArray flat, NDManager owner) {
        Map<String, NDArray> out = new LinkedHashMap<>();
        for (Slot s : parameterSlots) {
            NDArray v = view(flat, s, owner);
            v.setName(s.name());
            out.put(s.name(), v);
        }
        return Collections.unmodifiableMap(out);
    }
}
