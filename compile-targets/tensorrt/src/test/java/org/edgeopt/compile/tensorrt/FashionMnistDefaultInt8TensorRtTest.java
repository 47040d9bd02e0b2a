package org.edgeopt.compile.tensorrt;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Map;
import org.edgeopt.core.data.Dataset;
import org.edgeopt.core.data.Datasets;
import org.edgeopt.core.data.Preprocessing;
import org.edgeopt.core.eval.BatchRunner;
import org.edgeopt.core.graph.Graph;
import org.edgeopt.core.graph.Node;
import org.edgeopt.core.onnx.OnnxModels;
import org.edgeopt.core.quant.CalibrationTable;
import org.edgeopt.core.runtime.InferenceSession;
import org.edgeopt.core.runtime.OrtRuntime;
import org.edgeopt.core.runtime.SessionOptions;
import org.edgeopt.core.targets.CompileRequest;
import org.edgeopt.core.targets.TargetProfiles;
import org.edgeopt.quantize.ModelQuantizer;
import org.edgeopt.quantize.QuantizeConfig;
import org.edgeopt.samples.SampleModel;
import org.edgeopt.samples.SampleModels;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 14: {@code compile --target tensorrt-ampere} of the sample quantized with the default
 * onnxruntime-cpu profile exited 3, as its first convolution reads a Pad of quantized values
 * ({@code Input3_quantized_padded}) that the TensorRT exporter did not take apart.
 */
class FashionMnistDefaultInt8TensorRtTest {
  /** The TensorRT QDQ model may lose at most this many top-1 points against the input QDQ model. */
  private static final double TOLERANCE_POINTS = 1.0;

  @Test
  void input3QuantizedPaddedDefaultInt8SampleCompilesForTensorRtAmpere(@TempDir Path dir)
      throws Exception {
    SampleModel sample = SampleModels.fashionMnist();
    Preprocessing pre = Preprocessing.parse(sample.preprocess());
    Dataset holdout = Datasets.open(sample.holdout().images().getParent(), pre, null, null);
    Dataset calibration = Datasets.open(sample.calibration().images().getParent(), pre, null, null);
    Graph fp32 = OnnxModels.read(sample.model());
    CalibrationTable table = MinMaxRanges.of(fp32, calibration, 100, 500);
    Graph int8 =
        ModelQuantizer.quantize(
                fp32,
                table,
                QuantizeConfig.forTarget(TargetProfiles.get("onnxruntime-cpu")),
                null,
                new ModelQuantizer.Provenance("fashion-mnist", null, "minmax", null))
            .graph();
    Map<String, Node> producers = int8.producers();
    assertTrue(
        int8.nodes().stream()
            .anyMatch(
                n ->
                    n.opType().equals("Pad")
                        && producers.containsKey(n.input(0))
                        && producers.get(n.input(0)).opType().equals("QuantizeLinear")),
        "the default profile pads quantized channels");
    Path model = dir.resolve("model.int8.onnx");
    OnnxModels.write(int8, model);

    Path out = dir.resolve("trt");
    new TensorRtTarget()
        .compile(
            new CompileRequest(
                model, TargetProfiles.get("tensorrt-ampere"), out, "int8", false, Map.of()));
    Graph qdq = OnnxModels.read(out.resolve("model.trt-qdq.onnx"));
    QdqPlacementReport check = TensorRtQdqChecker.check(qdq);
    assertTrue(check.ok(), check.describe());
    assertTrue(
        check.floatLayers().isEmpty(), "every weighted layer in int8: " + check.floatLayers());
    assertTrue(
        qdq.nodes().stream()
            .filter(n -> n.opType().equals("Pad"))
            .allMatch(
                n ->
                    !qdq.producer(n.input(0))
                        .map(p -> p.opType().equals("QuantizeLinear"))
                        .orElse(false)),
        "the Pad now pads float values");

    int before = correct(int8, holdout);
    int after = correct(qdq, holdout);
    assertTrue(
        100.0 * (before - after) / holdout.size() <= TOLERANCE_POINTS,
        "TensorRT QDQ " + after + " vs input " + before);
    assertEquals(2000, holdout.size());
  }

  private static int correct(Graph g, Dataset d) throws Exception {
    try (InferenceSession s = OrtRuntime.get().open(g, SessionOptions.defaults())) {
      return BatchRunner.correctTop1(s, d, 100, Integer.MAX_VALUE);
    }
  }
}
