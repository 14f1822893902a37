package mobilevit.launch;

import static mobilevit.model.TensorAssert.assertClose;
import static mobilevit.model.TensorAssert.fixture;
import static mobilevit.model.TensorAssert.npy;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import ai.onnxruntime.OrtSession;

import mobilevit.core.Sha256;
import mobilevit.evaluation.OnnxFile;
import mobilevit.export.OnnxRuntimeRun;
import mobilevit.model.Autograd;
import mobilevit.model.MobileViT;
import mobilevit.model.TorchXxsWeights;
import mobilevit.trainer.checkpoint.Checkpoint;
import mobilevit.trainer.checkpoint.CheckpointStore;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * {@code export}: a fine-tuned checkpoint's EMA weights (96x96 fixed) or raw weights (size free)
 * and weights files of every format on ONNX Runtime, and the command's one-line errors.
 */
class ExportCommandTest {

    @TempDir
    Path tmp;

    @Test
    @Tag("slow") // trains a small run first
    void aCheckpointOfThreeClassesExportsItsEmaOrRawWeights() throws Exception {
        Cli.Result trained = Cli.run(FineTuneTest.threeClassTraining(tmp));
        assertEquals(0, trained.exitCode(), trained.err());
        Path run = tmp.resolve("run");

        Path ema = tmp.resolve("out/ema.onnx");
        Cli.Result exported = Cli.run("export", "--checkpoint", run.toString(), "--output", ema.toString(),
                "--size", "96", "96");
        assertEquals(0, exported.exitCode(), exported.err());
        Path raw = tmp.resolve("out/raw.onnx");
        assertEquals(0, Cli.run("export", "--checkpoint", run.toString(), "--raw", "--output", raw.toString(),
                "--free-size").exitCode());

        Path checkpoint = CheckpointStore.resolve(run);
        try (NDManager manager = NDManager.newBaseManager()) {
            Autograd.setEnabled(false);
            Checkpoint.Contents c = Checkpoint.read(checkpoint, manager);
            NDArray input = manager.randomUniform(0f, 1f, new Shape(2, 3, 96, 96));
            for (Checkpoint.Weights which : Checkpoint.Weights.values()) {
                Path file = which == Checkpoint.Weights.EMA ? ema : raw;
                MobileViT model = c.model(which, manager);
                NDArray expected = model.forward(new ParameterStore(manager, false), new NDList(input), false)
                        .singletonOrThrow();
                try (OrtSession session = OnnxRuntimeRun.open(file)) {
                    Map<String, String> meta = session.getMetadata().getCustomMetadata();
                    assertEquals("xxs", meta.get("variant"));
                    assertEquals("3", meta.get("num_classes"));
                    assertEquals(c.weightsFile(which).getFileName().toString(), meta.get("source"));
                    assertEquals(Sha256.of(c.weightsFile(which)), meta.get("source_sha256"));
                    assertEquals("pixels [N,3,H,W] float32, BGR, values in [0,1]; images resized (bilinear) so that"
                            + " the shorter side is 72, then centre-cropped to 64x64", meta.get("input")); // SMALL's eval
                    assertEquals(List.of("72", "64"), List.of(meta.get("eval_resize"), meta.get("eval_crop")));
                    assertClose(which + " logits", OnnxRuntimeRun.logits(session, input, manager), expected, 1e-4, 1e-4);
                }
            }
        }
        // eval of the file of free size crops as the checkpoint's eval does; the fixed one at its side
        OnnxFile free = OnnxFile.read(raw);
        assertEquals(List.of(72, 64), List.of(free.resize(), free.crop()));
        assertEquals(List.of(108, 96), List.of(OnnxFile.read(ema).resize(), OnnxFile.read(ema).crop()));
        assertFalse(Files.exists(tmp.resolve("out/x.onnx")));
        Cli.run("export", "--checkpoint", run.toString(), "--classes", "10", "--output", tmp.resolve("out/x.onnx")
                .toString()).failsWithOneLine(2, "--classes 10 does not match the checkpoint's model.num_classes 3");
    }

    /** Every format and naming {@code eval} reads: the fixture safetensors and PyTorch's own torch.save files. */
    @ParameterizedTest
    @ValueSource(strings = {"xx_small_cvnets.safetensors", "xx_small_cvnets.pt", "xx_small_hf.bin"})
    void weightsFilesExportToCvnetsLogits(String name) throws Exception {
        Path weights = name.endsWith(".safetensors") ? fixture("weights/" + name) : TorchXxsWeights.file(name);
        Path file = tmp.resolve("xxs.onnx");
        Cli.Result exported = Cli.run("export", "--weights", weights.toString(), "--variant", "xxs", "--output",
                file.toString());
        assertEquals(0, exported.exitCode(), exported.err());
        try (NDManager manager = NDManager.newBaseManager(); OrtSession session = OnnxRuntimeRun.open(file)) {
            assertEquals(Sha256.of(weights), session.getMetadata().getCustomMetadata().get("source_sha256"));
            assertClose(name, OnnxRuntimeRun.logits(session, npy(manager, "inputs/input_b2_256x256.npy"), manager),
                    npy(manager, "logits/xx_small_b2_256x256.npy"), 1e-4, 1e-4);
        }
    }

    @Test
    void badInputIsOneLineWithExitCode2() throws IOException {
        String weights = fixture("weights/xx_small_cvnets.safetensors").toString();
        String out = tmp.resolve("m.onnx").toString();
        Cli.run("export", "--weights", weights, "--variant", "xl", "--output", out)
                .failsWithOneLine(2, "unknown MobileViT variant 'xl' (expected one of xxs, xs, s)");
        Cli.run("export", "--weights", weights, "--size", "256", "31", "--output", out)
                .failsWithOneLine(2, "input size 256x31: the model needs at least 32x32 pixels");
        Path notAFolder = Files.writeString(tmp.resolve("file"), "x");
        Cli.run("export", "--weights", weights, "--output", notAFolder.resolve("m.onnx").toString())
                .failsWithOneLine(2, notAFolder + " is not a folder");
        Cli.run("export", "--weights", weights, "--output", tmp.toString()).failsWithOneLine(2, tmp + " is a folder");
        Cli.run("export", "--weights", weights, "--size", "256", "256", "--free-size", "--output", out)
                .failsWithOneLine(2, "--size and --free-size exclude each other");
        Cli.run("export", "--weights", weights, "--variant", "s", "--output", out)
                .failsWithOneLine(2, "does not fit MobileViT-S with 1000 classes (CVNets names)");
        Cli.run("export", "--weights", weights, "--classes", "10", "--output", out)
                .failsWithOneLine(2, "does not fit MobileViT-XXS with 10 classes");
        Cli.run("export", "--weights", weights, "--raw", "--output", out)
                .failsWithOneLine(2, "--ema and --raw apply to --checkpoint, not to --weights");
        assertFalse(Files.exists(Path.of(out)));
    }
}
