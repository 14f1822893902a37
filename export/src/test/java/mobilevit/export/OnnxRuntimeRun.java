package mobilevit.export;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;

import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.Map;

/** Runs an exported file on ONNX Runtime's CPU provider (two threads, as the tests' PyTorch); launch's tests use it too. */
public final class OnnxRuntimeRun {

    private OnnxRuntimeRun() {}

    /** A session on {@code file}; the caller closes it. */
    public static OrtSession open(Path file) throws OrtException {
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
            options.setIntraOpNumThreads(2);
            options.setInterOpNumThreads(1);
            return env.createSession(file.toString(), options);
        }
    }

    /** The session's {@code logits} for {@code pixels} [N, 3, H, W], as an array of {@code manager}. */
    public static NDArray logits(OrtSession session, NDArray pixels, NDManager manager) throws OrtException {
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        long[] shape = pixels.getShape().getShape();
        try (OnnxTensor input = OnnxTensor.createTensor(env, FloatBuffer.wrap(pixels.toFloatArray()), shape);
                OrtSession.Result result = session.run(Map.of("pixels", input))) {
            OnnxTensor out = (OnnxTensor) result.get("logits").orElseThrow();
            long[] outShape = out.getInfo().getShape();
            FloatBuffer values = out.getFloatBuffer();
            float[] data = new float[values.remaining()];
            values.get(data);
            return manager.create(data, new Shape(outShape));
        }
    }
}
