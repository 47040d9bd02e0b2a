package org.edgeopt.prune;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.edgeopt.core.data.Dataset;
import org.edgeopt.core.data.Datasets;
import org.edgeopt.core.data.Preprocessing;
import org.edgeopt.core.graph.Graph;
import org.edgeopt.core.graph.Node;
import org.edgeopt.core.graph.Tensor;
import org.edgeopt.core.onnx.OnnxModels;
import org.edgeopt.core.targets.TargetProfiles;
import org.edgeopt.samples.SampleModel;
import org.edgeopt.samples.SampleModels;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Acceptance on the project's Fashion-MNIST sample (MobileNetV2-style CNN, 2,000 holdout images). */
class FashionMnistPruneTest {
  /** The top-1 budget of the acceptance criteria, in points, checked on the whole holdout. */
  private static final double BUDGET = 1.0;

  /** Candidates are compared on this many holdout images to keep the test short; the result is checked on all 2,000. */
  private static final int SEARCH = 1000;

  /** Calibration images used for the least-squares statistics and recovery (of 500). */
  private static final int CALIBRATION = 256;

  static SampleModel sample;
  static Graph model;
  static Dataset holdout;
  static Dataset calibration;

  @BeforeAll
  static void load() throws Exception {
    sample = SampleModels.fashionMnist();
    model = OnnxModels.read(sample.model());
    Preprocessing pre = Preprocessing.parse(sample.preprocess());
    holdout = Datasets.open(sample.holdout().images().getParent(), pre, null, null);
    calibration = Datasets.open(sample.calibration().images().getParent(), pre, null, null);
  }

  @Test
  void twoFourForTensorRtStaysWithinOnePointAndEveryPrunedLayerHasTwoZerosInEveryGroupOfFour()
      throws Exception {
    PruneRequest r =
        PruneRequest.of(
                TargetProfiles.get("tensorrt-ampere"),
                PruneMode.AUTO,
                BUDGET,
                false,
                holdout,
                calibration)
            .withSearchLimit(SEARCH)
            .withCalibrationLimit(CALIBRATION)
            .withLatency(false);
    PruneResult res = Pruner.prune(model, r, "fashion-mnist", s -> {});
    PruneReport rep = res.report();
    System.out.println(rep.describe());
    assertEquals("2:4", rep.mode());
    assertEquals(2000, rep.holdoutSamples());
    assertEquals(
        100.0 * sample.fp32HoldoutCorrect() / sample.fp32HoldoutTotal(),
        rep.baselineTop1(),
        0.1,
        "ONNX Runtime agrees with the sample's recorded FP32 accuracy");
    assertTrue(rep.withinBudget(), rep.describe());
    List<String> pruned =
        rep.layers().stream().filter(LayerDecision::pruned).map(LayerDecision::name).toList();
    assertTrue(pruned.size() >= 3, rep.describe());
    for (String layer : pruned) {
      assertEveryGroupOfFourHasTwoZeros(res.graph(), layer);
    }
  }

  @Test
  void channelPruningRemovesAQuarterOfTheMacsWithinOnePoint() throws Exception {
    PruneRequest r =
        PruneRequest.of(
                TargetProfiles.get("onnxruntime-cpu"),
                PruneMode.AUTO,
                BUDGET,
                false,
                holdout,
                calibration)
            .withSearchLimit(SEARCH)
            .withCalibrationLimit(CALIBRATION);
    PruneResult res = Pruner.prune(model, r, "fashion-mnist", s -> {});
    PruneReport rep = res.report();
    System.out.println(rep.describe());
    assertEquals("channel", rep.mode());
    assertTrue(rep.withinBudget(), rep.describe());
    assertTrue(rep.macReduction() >= 0.25, rep.describe());
    assertTrue(rep.parametersAfter() < rep.parametersBefore());
    assertFalse(rep.recovery().isEmpty());
    assertTrue(rep.latency().afterMedianMs() > 0);
  }

  /** Checks TensorRT's rule directly on the weights: at most two non-zeros per four consecutive input channels. */
  static void assertEveryGroupOfFourHasTwoZeros(Graph g, String layer) {
    Node n = g.node(layer).orElseThrow();
    Tensor w = g.initializers().get(n.input(1));
    float[] v = w.toFloats();
    boolean gemm = !n.opType().equals("Conv");
    int out = (int) (gemm && n.intAttr("transB", 0) == 0 ? w.dim(1) : w.dim(0));
    int in = (int) (gemm && n.intAttr("transB", 0) == 0 ? w.dim(0) : w.dim(1));
    int k = (int) (w.elementCount() / ((long) out * in));
    assertEquals(0, in % 4, layer);
    for (int o = 0; o < out; o++) {
      for (int pos = 0; pos < k; pos++) {
        for (int c = 0; c < in; c += 4) {
          int zeros = 0;
          for (int j = 0; j < 4; j++) {
            int i =
                gemm && n.intAttr("transB", 0) == 0
                    ? (c + j) * out + o
                    : (o * in + c + j) * k + pos;
            if (v[i] == 0f) {
              zeros++;
            }
          }
          assertTrue(
              zeros >= 2,
              layer + ": output " + o + ", channels " + c + ".." + (c + 3) + ", position " + pos);
        }
      }
    }
  }
}
