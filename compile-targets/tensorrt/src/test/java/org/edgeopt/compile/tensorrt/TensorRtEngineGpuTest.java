package org.edgeopt.compile.tensorrt;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.edgeopt.core.graph.Graph;
import org.edgeopt.core.graph.Tensor;
import org.edgeopt.core.onnx.OnnxModels;
import org.edgeopt.core.quant.CalibrationTable;
import org.edgeopt.core.runtime.InferenceSession;
import org.edgeopt.core.runtime.OrtRuntime;
import org.edgeopt.core.runtime.SessionOptions;
import org.edgeopt.core.targets.CompileRequest;
import org.edgeopt.core.targets.CompileResult;
import org.edgeopt.core.targets.TargetProfiles;
import org.edgeopt.core.testing.TestModels;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Builds real engines and compares what they compute with the FP32 model under ONNX Runtime;
 * runs only with {@code -Dgroups=gpu} on a machine with CUDA 12 and TensorRT 10, and skips with the
 * missing libraries named anywhere else.
 *
 * <p>Tolerances: FP16 keeps 11 significant bits, so every logit within 1% of the largest
 * reference logit; INT8 (minmax calibration of this small network) within 10% of it, with cosine
 * similarity at least 0.99 over all outputs.
 */
@Tag("gpu")
class TensorRtEngineGpuTest {
  private static final int BATCH = 8;

  @TempDir Path dir;

  private Path engine(String precision, Graph g, Path model) throws Exception {
    Path out = dir.resolve(precision);
    Map<String, String> options = new java.util.HashMap<>(Map.of("build-engine", "true"));
    if (precision.equals("int8")) {
      CalibrationTable t = MinMaxRanges.ofTensors(g, TrtTestModels.smallCnnInputs(2, 8));
      Path cal = dir.resolve("calibration.json");
      t.write(cal);
      options.put("calibration", cal.toString());
    }
    CompileResult r =
        new TensorRtTarget()
            .compile(
                new CompileRequest(
                    model, TargetProfiles.get("tensorrt-ampere"), out, precision, false, options));
    assertTrue(r.artifacts().contains(out.resolve("model.engine")), r.messages().toString());
    assertTrue(Files.size(out.resolve("timing.cache")) > 0);
    return out.resolve("model.engine");
  }

  private void compare(String precision, double relTolerance, double minCosine) throws Exception {
    TensorRtEnvironment env = TensorRtEnvironment.probe();
    assumeTrue(env.ready(), "no CUDA/TensorRT here: missing " + env.describeMissing());
    Graph g = TestModels.smallCnn(13);
    Path model = dir.resolve("small.onnx");
    OnnxModels.write(g, model);
    Path engine = engine(precision, g, model);
    Tensor x = TestModels.smallCnnInput(900, BATCH);
    float[] reference;
    try (InferenceSession s = OrtRuntime.get().open(g, SessionOptions.defaults().withThreads(1))) {
      reference = s.run(Map.of("input", x)).get("logits").toFloats();
    }
    float[] gpu = TensorRtEngineRunner.run(engine, "input", x.dims(), x.toFloats(), "logits");
    double maxRef = 0;
    double maxDiff = 0;
    double dot = 0;
    double nr = 0;
    double ng = 0;
    for (int i = 0; i < reference.length; i++) {
      maxRef = Math.max(maxRef, Math.abs(reference[i]));
      maxDiff = Math.max(maxDiff, Math.abs(reference[i] - gpu[i]));
      dot += reference[i] * (double) gpu[i];
      nr += reference[i] * (double) reference[i];
      ng += gpu[i] * (double) gpu[i];
    }
    double cosine = dot / Math.sqrt(nr * ng);
    System.out.printf(
        "TensorRT %s engine vs FP32 (ONNX Runtime), %d samples: max |diff| %.4g (%.2f%% of max |ref|),"
            + " cosine %.6f%n",
        precision, BATCH, maxDiff, 100 * maxDiff / maxRef, cosine);
    assertTrue(
        reference.length == gpu.length, "output sizes " + reference.length + " and " + gpu.length);
    assertTrue(
        maxDiff <= relTolerance * maxRef,
        "max |diff| " + maxDiff + " over " + relTolerance + " x " + maxRef);
    assertTrue(cosine >= minCosine, "cosine " + cosine);
  }

  @Test
  void fp16EngineAgreesWithFp32() throws Exception {
    compare("fp16", 0.01, 0.9999);
  }

  @Test
  void int8EngineAgreesWithFp32WithinItsTolerance() throws Exception {
    compare("int8", 0.10, 0.99);
  }
}
