package mobilevit.model;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.util.Pair;

import mobilevit.core.IntMath;
import mobilevit.core.SplitMix64;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.UnaryOperator;

/**
 * Whether this CPU's libtorch computes a model's convolutions right on channels-last maps, checked
 * once per process and set of convolutions before training in that format. On an AMD EPYC (family
 * 26, AVX-512 without AVX512-FP16 or AMX), libtorch 2.7.1's oneDNN kernel {@code brgconv_1x1:avx512_core}
 * gave wrong channels-last outputs for about one 1x1 convolution in ten (a 64 -> 80 one of a 2x64x16x16
 * map off by 23.6), while the contiguous path's kernels were right; a training run there would
 * learn from garbage. Where the check fails, training uses contiguous maps (the same values, without
 * the channels-last speed-up) and says why once.
 *
 * <p>Each distinct convolution of the model (its channels, kernel, stride and groups, at two map
 * sizes, batch 2; about a second for XXS on 2 cores) runs forward and backward in float32 in the format under check, against the same convolution in float64 from the
 * same float32 operands. An element passes within gamma(K) * sum|t| + 2^-24 |result|, the float32
 * dot-product bound (Higham, eq. 3.5, any summation order) and the result's own rounding, with K the
 * terms summed into it and sum|t| the float64 convolution of the operands' absolute values; a wrong
 * kernel is off by orders of magnitude more. The operands come from a fixed SplitMix64 sequence, not
 * from the engine's random generator, so a check leaves the training's draws as they were.
 */
public final class ChannelsLastCheck {

    private static final Logger LOG = LoggerFactory.getLogger(ChannelsLastCheck.class);

    /** The convolution under check: {@code Conv2d.conv2d} without bias, or a stand-in in tests. */
    interface Convolution {
        NDArray apply(NDArray x, NDArray w, Shape stride, Shape padding, int groups);
    }

    static final Convolution LIBTORCH = (x, w, stride, padding, groups) ->
            Conv2d.conv2d(x, w, null, stride, padding, new Shape(1, 1), groups).singletonOrThrow();

    /** A convolution of the model: input channels, map side, output channels, kernel, stride, groups. */
    record Case(long channels, long height, long width, long out, long kernel, long stride, int groups) {
        @Override
        public String toString() {
            return String.format(Locale.ROOT, "%dx%d convolution %d -> %d%s%s of a 2x%dx%dx%d map", kernel, kernel,
                    channels, out, stride > 1 ? " stride " + stride : "", groups > 1 ? " in " + groups + " groups" : "",
                    channels, height, width);
        }
    }

    /**
     * The largest map side checked: larger maps (the first stages' 64-128) only repeat the same
     * kernels over more rows, and float64 convolutions of them took seconds.
     */
    private static final long MAX_SIDE = 32;

    private static final Map<Set<Case>, Optional<String>> CHECKED = new ConcurrentHashMap<>();

    private ChannelsLastCheck() {}

    /**
     * The format to train {@code model} with on {@code device}: {@code wanted}, except channels-last
     * on a CPU whose kernels fail the check, where it is contiguous (logged once per process).
     */
    public static MemoryFormat resolve(MemoryFormat wanted, MobileViT model, Device device) {
        if (wanted != MemoryFormat.CHANNELS_LAST || !Device.Type.CPU.equals(device.getDeviceType())) {
            return wanted;
        }
        Set<Case> cases = cases(model);
        Optional<String> fault = CHECKED.computeIfAbsent(cases, c -> {
            Optional<String> f = fault(c, MemoryFormat.CHANNELS_LAST, LIBTORCH);
            f.ifPresent(why -> LOG.warn("channels_last feature maps give wrong convolutions on this CPU ({}): {};"
                    + " using contiguous maps instead (the same values, without channels_last's speed-up)",
                    cpuModel(), why));
            return f;
        });
        return fault.isPresent() ? MemoryFormat.CONTIGUOUS : wanted;
    }

    /** The first of {@code cases} whose result in {@code format} is off its float64 value, described; empty if none. */
    static Optional<String> fault(Set<Case> cases, MemoryFormat format, Convolution convolution) {
        boolean recording = Autograd.isEnabled();
        try (NDManager m = NDManager.newBaseManager(Device.cpu())) {
            long seed = 0;
            for (Case c : cases) {
                Optional<String> f = fault(c, format, convolution, m, ++seed);
                if (f.isPresent()) {
                    return f;
                }
            }
            return Optional.empty();
        } finally {
            Autograd.setEnabled(recording);
        }
    }

    private static Optional<String> fault(Case c, MemoryFormat format, Convolution convolution, NDManager parent,
            long seed) {
        try (NDManager m = parent.newSubManager()) {
            Shape stride = new Shape(c.stride(), c.stride());
            long pad = (c.kernel() - 1) / 2;
            Shape padding = new Shape(pad, pad);
            long outHeight = (c.height() + 2 * pad - c.kernel()) / c.stride() + 1;
            long outWidth = (c.width() + 2 * pad - c.kernel()) / c.stride() + 1;
            double weightScale = 1 / Math.sqrt((double) c.channels() / c.groups() * c.kernel() * c.kernel());
            NDArray x = uniform(m, new Shape(2, c.channels(), c.height(), c.width()), 1, seed * 3);
            NDArray w = uniform(m, new Shape(c.out(), c.channels() / c.groups(), c.kernel(), c.kernel()), weightScale,
                    seed * 3 + 1);
            NDArray g = uniform(m, new Shape(2, c.out(), outHeight, outWidth), 1, seed * 3 + 2);

            NDArray[] ours = outputAndGradients(x, w, g, format::store, convolution, stride, padding, c.groups());
            NDArray[] exact = outputAndGradients(x.toType(DataType.FLOAT64, false), w.toType(DataType.FLOAT64, false),
                    g.toType(DataType.FLOAT64, false), a -> a, LIBTORCH, stride, padding, c.groups());
            NDArray[] magnitude = outputAndGradients(x.toType(DataType.FLOAT64, false).abs(),
                    w.toType(DataType.FLOAT64, false).abs(), g.toType(DataType.FLOAT64, false).abs(), a -> a, LIBTORCH,
                    stride, padding, c.groups());
            long[] terms = {c.channels() / c.groups() * c.kernel() * c.kernel(), c.out() / c.groups() * c.kernel() * c.kernel(),
                2 * outHeight * outWidth};
            String[] what = {"output", "input gradient", "weight gradient"};
            for (int i = 0; i < 3; i++) {
                double gamma = terms[i] * 0x1p-24 / (1 - terms[i] * 0x1p-24);
                NDArray result = ours[i].toType(DataType.FLOAT64, false);
                NDArray error = result.sub(exact[i]).abs();
                NDArray bound = magnitude[i].mul(gamma).add(result.abs().mul(0x1p-24));
                NDArray excess = error.sub(bound);
                if (!(excess.max().getDouble() <= 0)) { // NaN fails too
                    long[] at = unravel(excess.getShape(), excess.isNaN().any().getBoolean()
                            ? excess.isNaN().toType(DataType.INT32, false).argMax().getLong() : excess.argMax().getLong());
                    return Optional.of(String.format(Locale.ROOT, "a %s, %s: %s at %s is %.6g, float64 %.6g (bound %.3g)",
                            c, format.id(), what[i], new Shape(at), result.getDouble(at), exact[i].getDouble(at),
                            bound.getDouble(at)));
                }
            }
            return Optional.empty();
        }
    }

    /**
     * The convolution of {@code x} (stored by {@code store}) by {@code w}, and the gradients of
     * sum(y * g) by x and w.
     */
    private static NDArray[] outputAndGradients(NDArray x, NDArray w, NDArray g,
            UnaryOperator<NDArray> store, Convolution convolution, Shape stride, Shape padding,
            int groups) {
        NDArray xLeaf = x.duplicate();
        NDArray wLeaf = w.duplicate();
        xLeaf.setRequiresGradient(true);
        wLeaf.setRequiresGradient(true);
        // recording on this thread only: DJL's GradientCollector is one per process, and a replica may hold it
        Autograd.setEnabled(true);
        NDArray y = convolution.apply(store.apply(xLeaf), wLeaf, stride, padding, groups);
        Autograd.backward(y.mul(g).sum(), 1);
        return new NDArray[] {y, xLeaf.getGradient(), wLeaf.getGradient()};
    }

    /**
     * Every distinct convolution of {@code model}, at the map side a 256x256 input gives it (at most
     * {@link #MAX_SIDE}) and at 5/8 of that (what a 160x160 input gives).
     */
    static Set<Case> cases(MobileViT model) {
        Set<Case> out = new LinkedHashSet<>();
        collect(model, out);
        return out;
    }

    private static void collect(Block block, Set<Case> out) {
        if (block instanceof ConvLayer layer) {
            Shape in = layer.getInputShapes()[0]; // as initialised: (1, C, H, W) of a 256x256 input
            Shape w = layer.weightShape();
            long side = Math.min(in.get(2), MAX_SIDE);
            for (long s : new long[] {side, IntMath.ceilDiv(side * 5, 8)}) {
                out.add(new Case(in.get(1), s, s, w.get(0), w.get(2), layer.stride(), layer.groups()));
            }
        }
        for (Pair<String, Block> child : block.getChildren()) {
            collect(child.getValue(), out);
        }
    }

    /** Float32 numbers uniform in [-scale, scale) from a SplitMix64 sequence. */
    private static NDArray uniform(NDManager m, Shape shape, double scale, long seed) {
        float[] v = new float[Math.toIntExact(shape.size())];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) (scale * ((SplitMix64.value(seed, i + 1) >>> 11) * 0x1p-53 * 2 - 1));
        }
        return m.create(v, shape);
    }

    private static long[] unravel(Shape shape, long flat) {
        long[] at = new long[shape.dimension()];
        for (int d = at.length - 1; d >= 0; d--) {
            at[d] = flat % shape.get(d);
            flat /= shape.get(d);
        }
        return at;
    }

    private static String cpuModel() {
        try {
            return Files.readAllLines(Path.of("/proc/cpuinfo")).stream().filter(l -> l.startsWith("model name"))
                    .findFirst().map(l -> l.substring(l.indexOf(':') + 1).trim()).orElse("unknown CPU");
        } catch (IOException e) {
            return "unknown CPU";
        }
    }
}
