package mobilevit.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.Optional;
import java.util.Set;

/**
 * {@link ChannelsLastCheck}: correct kernels pass its float64 bound on any CPU, a kernel off by more
 * than float32 summation allows is caught and named, and only channels-last on a CPU is checked.
 */
class ChannelsLastCheckTest {

    private static final ChannelsLastCheck.Case POINTWISE = new ChannelsLastCheck.Case(64, 16, 16, 80, 1, 1, 1);

    private static NDManager manager;
    private static MobileViT xxs;

    @BeforeAll
    static void build() {
        manager = NDManager.newBaseManager();
        xxs = MobileViT.builder().setVariant(Variant.XXS).buildInitialized(manager, 0);
    }

    @AfterAll
    static void close() {
        manager.close();
    }

    /** libtorch's output with {@code ulps} float32 units in the last place added to its first element. */
    private static ChannelsLastCheck.Convolution offByUlps(double ulps) {
        return (x, w, stride, padding, groups) -> {
            NDArray y = ChannelsLastCheck.LIBTORCH.apply(x, w, stride, padding, groups);
            float first = y.get(0, 0, 0, 0).getFloat();
            NDArray bump = y.zerosLike();
            bump.set(new NDIndex(0, 0, 0, 0), (float) (ulps * Math.ulp(first)));
            return y.add(bump);
        };
    }

    @Test
    void everyConvolutionOfXxsOnContiguousMapsIsWithinTheFloat32Bound() {
        assertEquals(Optional.empty(), ChannelsLastCheck.fault(ChannelsLastCheck.cases(xxs), MemoryFormat.CONTIGUOUS,
                ChannelsLastCheck.LIBTORCH));
    }

    @Test
    void aWrongKernelIsCaughtAndNamed() {
        String fault = ChannelsLastCheck.fault(Set.of(POINTWISE), MemoryFormat.CONTIGUOUS, offByUlps(1e4)).orElseThrow();
        assertTrue(fault.startsWith("a 1x1 convolution 64 -> 80 of a 2x64x16x16 map, contiguous: output at"
                + " (0, 0, 0, 0) is "), fault);
    }

    @Test
    void aNanIsAFault() {
        String fault = ChannelsLastCheck.fault(Set.of(POINTWISE), MemoryFormat.CONTIGUOUS, offByUlps(Double.NaN))
                .orElseThrow();
        assertTrue(fault.contains(": output at (0, 0, 0, 0) is NaN"), fault);
    }

    @Test
    void oneRoundingMoreIsNoFault() {
        assertEquals(Optional.empty(), ChannelsLastCheck.fault(Set.of(POINTWISE), MemoryFormat.CONTIGUOUS, offByUlps(1)));
    }

    @Test
    void theCasesAreTheModelsDistinctConvolutionsAtTwoMapSizes() {
        Set<ChannelsLastCheck.Case> cases = ChannelsLastCheck.cases(xxs);
        assertTrue(cases.contains(POINTWISE), "layer_4's 1x1 projection to the transformer width at 256x256");
        assertTrue(cases.contains(new ChannelsLastCheck.Case(64, 10, 10, 80, 1, 1, 1)), "and at 160x160");
        assertTrue(cases.contains(new ChannelsLastCheck.Case(3, 32, 32, 16, 3, 2, 1)), "the stem, its map capped at 32");
        assertTrue(cases.contains(new ChannelsLastCheck.Case(32, 32, 32, 32, 3, 1, 32)), "a depthwise convolution");
        assertEquals(cases.size(), cases.stream().distinct().count());
    }

    @Test
    void onlyChannelsLastOnACpuIsChecked() {
        assertEquals(MemoryFormat.CONTIGUOUS, ChannelsLastCheck.resolve(MemoryFormat.CONTIGUOUS, xxs, Device.cpu()));
        assertEquals(MemoryFormat.CHANNELS_LAST, ChannelsLastCheck.resolve(MemoryFormat.CHANNELS_LAST, xxs, Device.gpu()));
    }
}
