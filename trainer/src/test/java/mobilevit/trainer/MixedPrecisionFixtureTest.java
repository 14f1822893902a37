package mobilevit.trainer;

import static mobilevit.model.TensorAssert.npy;
import static mobilevit.model.TensorAssert.read;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;

import com.google.gson.JsonObject;

import mobilevit.model.MobileViT;
import mobilevit.model.Precision;
import mobilevit.model.StateDict;
import mobilevit.model.Variant;

import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

class MixedPrecisionFixtureTest {

    private static final JsonObject REF = Json.fixtureObject("training/xx_small_train.json");

    @Test
    void probe() {
        try (NDManager m = NDManager.newBaseManager()) {
            Run a = Run.of(Precision.FP32, m);
            long t = System.nanoTime();
            Run b = Run.of(Precision.FP16, m);
            System.out.println("fp16 run s " + (System.nanoTime() - t) / 1e9);
            double[] ref = Json.flat(REF.get("losses_before_each_step_fp64"));
            for (int i = 0; i < 4; i++) {
                System.out.printf("loss %d ref %.7f fp32 %.7f fp16 %.7f rel %.2e%n", i, ref[i], a.losses[i], b.losses[i],
                        Math.abs(b.losses[i] - ref[i]) / ref[i]);
            }
            System.out.println("steps " + b.steps + " skipped " + b.skipped);
            double max = 0; long over = 0; long total = 0; double sum = 0;
            for (String k : a.raw.keySet()) {
                float[] x = a.raw.get(k);
                float[] y = b.raw.get(k);
                double km = 0;
                for (int i = 0; i < x.length; i++) {
                    double d = Math.abs(x[i] - y[i]);
                    km = Math.max(km, d);
                    sum += d;
                    total++;
                    if (d > 1e-3 + 1e-2 * Math.abs(x[i])) over++;
                }
                if (km > 2e-3) System.out.println(k + " max " + km);
                max = Math.max(max, km);
            }
            System.out.println("max " + max + " mean " + sum / total + " over " + over + " of " + total);
        }
    }

    private static final class Run {
        final double[] losses = new double[4];
        final Map<String, float[]> raw = new LinkedHashMap<>();
        long steps;
        long skipped;

        static Run of(Precision precision, NDManager m) {
            Run out = new Run();
            MobileViT.Builder builder = MobileViT.builder().setVariant(Variant.XXS)
                    .optClassifierDropout(0).optTransformerDropout(0);
            try (TrainStep step = TrainStep.builder(List.of(Device.cpu()), builder).optEma(0.0005)
                    .optPrecision(precision).optLossScaler(new LossScaler(1024, 2000)).build()) {
                StateDict.load(step.replicas().master(), read(m, "weights/xx_small_cvnets.safetensors"), "fixture");
                step.adoptMasterWeights();
                NDArray input = npy(m, "training/xx_small_train_input_b4_256x256.npy");
                NDArray labels = npy(m, "training/xx_small_train_labels.npy");
                ReplicaGroup.ShardSource batch = (replica, scope) -> new NDList(input.duplicate(), labels.duplicate());
                for (int i = 0; i < 3; i++) {
                    out.losses[i] = step.accumulate(batch).loss();
                    step.update(0.002);
                }
                out.steps = step.optimizer().steps();
                out.skipped = step.lossScaler() == null ? 0 : step.lossScaler().skippedSteps();
                step.replicas().state().forEach((name, a) -> out.raw.put(name, a.toType(DataType.FLOAT32, true).toFloatArray()));
                out.losses[3] = step.accumulate(batch).loss();
            }
            return out;
        }
    }
}
