package org.edgeopt.compile.tensorrt;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
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
import org.edgeopt.core.targets.CompileRequest;
import org.edgeopt.core.targets.CompileResult;
import org.edgeopt.core.targets.TargetProfiles;
import org.edgeopt.prune.LayerDecision;
import org.edgeopt.prune.PruneMode;
import org.edgeopt.prune.PruneRequest;
import org.edgeopt.prune.PruneResult;
import org.edgeopt.prune.Pruner;
import org.edgeopt.samples.SampleModel;
import org.edgeopt.samples.SampleModels;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Acceptance: the 2:4-pruned Fashion-MNIST sample compiles to a TensorRT QDQ model that passes the placement check. */
class FashionMnistTensorRtTest {
  /** The int8 QDQ model may lose at most this many top-1 points against the pruned FP32 model under ONNX Runtime. */
  private static final double INT8_TOLERANCE_POINTS = 1.0;

  @Test
  void twoFourPrunedSampleExportsSparseSymmetricQdqThatPassesThePlacementCheck(@TempDir Path dir)
      throws Exception {
    SampleModel sample = SampleModels.fashionMnist();
    Preprocessing pre = Preprocessing.parse(sample.preprocess());
    Dataset holdout = Datasets.open(sample.holdout().images().getParent(), pre, null, null);
    Dataset calibration = Datasets.open(sample.calibration().images().getParent(), pre, null, null);
    PruneResult pruned =
        Pruner.prune(
            OnnxModels.read(sample.model()),
            PruneRequest.of(
                    TargetProfiles.get("tensorrt-ampere"),
                    PruneMode.TWO_FOUR,
                    1.0,
                    false,
                    holdout,
                    calibration)
                .withSearchLimit(500)
                .withLatency(false),
            "fashion-mnist",
            s -> {});
    assertTrue(pruned.report().withinBudget(), pruned.report().describe());
    List<String> sparse =
        pruned.report().layers().stream()
            .filter(LayerDecision::pruned)
            .map(LayerDecision::name)
            .toList();
    assertFalse(sparse.isEmpty());
    Path model = dir.resolve("pruned.onnx");
    OnnxModels.write(pruned.graph(), model);
    CalibrationTable table = MinMaxRanges.of(pruned.graph(), calibration, 100, 500);
    Path cal = dir.resolve("calibration.json");
    table.write(cal);

    Path out = dir.resolve("trt");
    CompileResult r =
        new TensorRtTarget()
            .compile(
                new CompileRequest(
                    model,
                    TargetProfiles.get("tensorrt-ampere"),
                    out,
                    "int8",
                    false,
                    Map.of("calibration", cal.toString())));
    Graph qdq = OnnxModels.read(out.resolve("model.trt-qdq.onnx"));
    QdqPlacementReport check = TensorRtQdqChecker.check(qdq);
    assertTrue(check.ok(), check.describe());
    assertTrue(
        check.floatLayers().isEmpty(), "every weighted layer in int8: " + check.floatLayers());
    assertTrue(
        TwoFourSparsity.sparseLayers(qdq).containsAll(sparse),
        "the int8 weights keep the 2:4 pattern");
    assertTrue(Files.readString(out.resolve("trtexec.sh")).contains("--sparsity=enable"));
    assertTrue(
        r.messages().stream().anyMatch(m -> m.contains("residual adds set up to fuse")),
        r.messages().toString());

    int fp32 = correct(pruned.graph(), holdout);
    int int8 = correct(qdq, holdout);
    System.out.printf(
        "fashion-mnist 2:4 (%d layers): pruned FP32 %d, TensorRT QDQ int8 (ORT) %d of %d; %s%n",
        sparse.size(), fp32, int8, holdout.size(), check.describe());
    assertTrue(
        100.0 * (fp32 - int8) / holdout.size() <= INT8_TOLERANCE_POINTS,
        "int8 " + int8 + " vs fp32 " + fp32);
    assertEquals(2000, holdout.size());
  }

  private static int correct(Graph g, Dataset d) throws Exception {
    try (InferenceSession s = OrtRuntime.get().open(g, SessionOptions.defaults())) {
      return BatchRunner.correctTop1(s, d, 100, Integer.MAX_VALUE);
    }
  }
}
