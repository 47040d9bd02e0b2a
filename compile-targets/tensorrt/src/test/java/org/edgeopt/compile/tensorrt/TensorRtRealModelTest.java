package org.edgeopt.compile.tensorrt;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Path;
import java.util.Optional;
import org.edgeopt.core.data.Dataset;
import org.edgeopt.core.data.Datasets;
import org.edgeopt.core.data.Preprocessing;
import org.edgeopt.core.eval.BatchRunner;
import org.edgeopt.core.graph.Graph;
import org.edgeopt.core.onnx.OnnxModels;
import org.edgeopt.core.quant.CalibrationTable;
import org.edgeopt.core.runtime.InferenceSession;
import org.edgeopt.core.runtime.OrtRuntime;
import org.edgeopt.core.runtime.SessionOptions;
import org.edgeopt.samples.SharedModels;
import org.junit.jupiter.api.Test;

/** The TensorRT export of a third-party model: mnist-7 (CNTK, opset 7) on the real MNIST test set. */
class TensorRtRealModelTest {
  /** The int8 export may lose at most this many top-1 points against FP32 under ONNX Runtime. */
  private static final double MAX_DROP_POINTS = 1.0;

  private static final int EVAL = 1000;

  @Test
  void mnist7ExportPassesThePlacementCheckAndKeepsAccuracy() throws Exception {
    Optional<Path> model = SharedModels.find("mnist-7/mnist.onnx");
    Optional<Path> data = SharedModels.find("mnist-t10k");
    assumeTrue(
        model.isPresent() && data.isPresent(), SharedModels.missingReason("mnist-7/mnist.onnx"));
    Graph g = OnnxModels.read(model.get());
    Dataset test = Datasets.open(data.get(), Preprocessing.identity(), null, null);
    CalibrationTable table = MinMaxRanges.of(g, test, 1, 200);
    TensorRtQdqExport e = TensorRtQdqExporter.fromCalibration(g, table, "mnist-7");
    assertEquals(13, e.graph().opset(), "upgraded for per-channel DequantizeLinear");
    QdqPlacementReport r = TensorRtQdqChecker.check(e.graph());
    assertTrue(r.ok(), r.describe());
    assertEquals(3, r.int8Layers().size(), "two Conv and the MatMul");
    int fp32 = correct(g, test);
    int int8 = correct(e.graph(), test);
    double drop = 100.0 * (fp32 - int8) / EVAL;
    System.out.println(
        "mnist-7 top-1 on " + EVAL + " images: fp32 " + fp32 + ", TensorRT int8 QDQ (ORT) " + int8);
    assertTrue(fp32 > 0.97 * EVAL, "mnist-7 is ~99% accurate: " + fp32);
    assertTrue(
        drop <= MAX_DROP_POINTS, "int8 " + int8 + " vs fp32 " + fp32 + " correct of " + EVAL);
  }

  private static int correct(Graph g, Dataset d) throws Exception {
    try (InferenceSession s = OrtRuntime.get().open(g, SessionOptions.defaults())) {
      return BatchRunner.correctTop1(s, d, 1, EVAL);
    }
  }
}
