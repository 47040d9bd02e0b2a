package org.edgeopt.quantize;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.edgeopt.core.graph.Attribute;
import org.edgeopt.core.graph.DataType;
import org.edgeopt.core.graph.Graph;
import org.edgeopt.core.graph.GraphBuilder;
import org.edgeopt.core.graph.Node;
import org.edgeopt.core.graph.Tensor;
import org.edgeopt.core.graph.TensorType;
import org.edgeopt.core.graph.Value;
import org.edgeopt.core.quant.CalibrationTable;
import org.edgeopt.core.quant.TensorRange;
import org.edgeopt.core.runtime.InferenceSession;
import org.edgeopt.core.runtime.OrtRuntime;
import org.edgeopt.core.runtime.SessionOptions;
import org.junit.jupiter.api.Test;

/**
 * Cross-layer equalization on a two-layer graph whose scales are known by hand: conv1 (two
 * output channels of 1x1 weights {4, -2} and {-1, 0.5}, bias {2, 0.5}) feeds conv2 through an
 * activation; conv2 reads channel 0 with largest weight 1 and channel 1 with 4. So
 * {@code s = sqrt(r1 / r2) = {sqrt(4 / 1), sqrt(1 / 4)} = {2, 0.5}}: conv1 becomes {2, -1},
 * {-2, 1} with bias {1, 1}, conv2's channels become 2 and -2, every range 2, and the second
 * sweep changes nothing.
 */
class CrossLayerEqualizationTest {

  /** Builds conv1 -> activation -> conv2; {@code depthwise} makes conv2 a 2-group Conv. */
  static Graph pair(String activation, boolean depthwise) {
    GraphBuilder b = new GraphBuilder("cle", 13);
    b.addInput(new Value("x", TensorType.of(DataType.FLOAT, new long[] {1, 2, 3, 3})));
    b.addOutput(new Value("y", new TensorType(DataType.FLOAT, null)));
    b.addInitializer(Tensor.ofFloats("w1", new long[] {2, 2, 1, 1}, new float[] {4, -2, -1, 0.5f}));
    b.addInitializer(Tensor.ofFloats("b1", new long[] {2}, new float[] {2, 0.5f}));
    b.addNode(Node.of("conv1", "Conv", List.of("x", "w1", "b1"), List.of("h")));
    String mid = "h";
    if (activation.equals("Relu")) {
      b.addNode(Node.of("act", "Relu", List.of("h"), List.of("a")));
      mid = "a";
    } else if (activation.equals("Clip")) {
      b.addInitializer(Tensor.scalar("lo", 0f));
      b.addInitializer(Tensor.scalar("hi", 6f));
      b.addNode(Node.of("act", "Clip", List.of("h", "lo", "hi"), List.of("a")));
      mid = "a";
    }
    if (depthwise) {
      b.addInitializer(Tensor.ofFloats("w2", new long[] {2, 1, 1, 1}, new float[] {1, -4}));
      b.addNode(
          Node.of("conv2", "Conv", List.of(mid, "w2"), List.of("y"), Attribute.of("group", 2L)));
    } else {
      b.addInitializer(Tensor.ofFloats("w2", new long[] {1, 2, 1, 1}, new float[] {1, -4}));
      b.addNode(Node.of("conv2", "Conv", List.of(mid, "w2"), List.of("y")));
    }
    return b.build();
  }

  private static float[] init(Graph g, String name) {
    return g.initializers().get(name).toFloats();
  }

  @Test
  void reluPairGetsTheScalesComputedByHand() {
    CrossLayerEqualization.Result r = CrossLayerEqualization.apply(pair("Relu", false));
    assertEquals(1, r.scaled().size(), r.changes().toString());
    CrossLayerEqualization.ScaledPair p = r.scaled().get(0);
    assertEquals("conv1", p.first());
    assertEquals("act", p.activation());
    assertArrayEquals(new double[] {2, 0.5}, p.scales(), 1e-12);
    assertArrayEquals(new float[] {2, -1, -2, 1}, init(r.graph(), "w1"), 1e-6f);
    assertArrayEquals(new float[] {1, 1}, init(r.graph(), "b1"), 1e-6f);
    assertArrayEquals(new float[] {2, -2}, init(r.graph(), "w2"), 1e-6f);
    assertEquals(2, r.iterations(), "the second sweep finds nothing left to balance");
    assertArrayEquals(new double[] {2, 0.5}, r.scaledTensors().get("h"), 1e-12);
    assertArrayEquals(new double[] {2, 0.5}, r.scaledTensors().get("a"), 1e-12);
  }

  @Test
  void depthwiseSecondLayerScalesItsOwnFilterPerChannel() {
    CrossLayerEqualization.Result r = CrossLayerEqualization.apply(pair("Relu", true));
    assertArrayEquals(new double[] {2, 0.5}, r.scaled().get(0).scales(), 1e-12);
    assertArrayEquals(new float[] {2, -2}, init(r.graph(), "w2"), 1e-6f);
  }

  @Test
  void aTensorFeedingTwoConvsIsBalancedAgainstTheLargerOfTheirRanges() throws Exception {
    // As a fire module's squeeze feeds two expands: conv2b reads channel 0 with 2 and channel 1
    // with 1, so r2 = {max(1, 2), max(4, 1)} = {2, 4} and s = {sqrt(4 / 2), sqrt(1 / 4)}.
    Graph g = pair("Relu", false);
    GraphBuilder b = g.toBuilder();
    b.addInitializer(Tensor.ofFloats("w2b", new long[] {1, 2, 1, 1}, new float[] {2, 1}));
    b.addNode(Node.of("conv2b", "Conv", List.of("a", "w2b"), List.of("y2")));
    b.addOutput(new Value("y2", new TensorType(DataType.FLOAT, null)));
    Graph two = b.build();
    CrossLayerEqualization.Result r = CrossLayerEqualization.apply(two);
    assertEquals("conv2, conv2b", r.scaled().get(0).second());
    assertArrayEquals(new double[] {Math.sqrt(2), 0.5}, r.scaled().get(0).scales(), 1e-9);
    assertArrayEquals(
        new float[] {(float) (2 * Math.sqrt(2)), 0.5f}, init(r.graph(), "w2b"), 1e-5f);
    Tensor in =
        Tensor.ofFloats(
            "x",
            new long[] {1, 2, 3, 3},
            new float[] {1, -2, 3, 0.5f, 4, -1, 2, 2, 1, 0, 1, 2, -3, 4, 5, -1, 0.25f, 3});
    try (InferenceSession a = OrtRuntime.get().open(two, SessionOptions.defaults());
        InferenceSession c = OrtRuntime.get().open(r.graph(), SessionOptions.defaults())) {
      Map<String, Tensor> ya = a.run(Map.of("x", in));
      Map<String, Tensor> yc = c.run(Map.of("x", in));
      assertArrayEquals(ya.get("y").toFloats(), yc.get("y").toFloats(), 1e-5f);
      assertArrayEquals(ya.get("y2").toFloats(), yc.get("y2").toFloats(), 1e-5f);
    }
  }

  @Test
  void pairWithoutActivationIsEqualizedToo() {
    CrossLayerEqualization.Result r = CrossLayerEqualization.apply(pair("", false));
    assertEquals("", r.scaled().get(0).activation());
    assertArrayEquals(new double[] {2, 0.5}, r.scaled().get(0).scales(), 1e-12);
  }

  @Test
  void boundedClipIsSkippedWithTheReason() {
    CrossLayerEqualization.Result r = CrossLayerEqualization.apply(pair("Clip", false));
    assertTrue(r.scaled().isEmpty());
    assertEquals(1, r.skipped().size());
    assertTrue(
        r.skipped().get(0).reason().contains("per-channel bound"), r.skipped().get(0).reason());
    assertArrayEquals(new float[] {4, -2, -1, 0.5f}, init(r.graph(), "w1"));
  }

  @Test
  void clipWhoseBoundIsNeverReachedKeepsEveryScaleAboveItsFloor() {
    // Largest calibrated value 4.5 of bound 6: no channel may grow by more than 6 / 4.5, so the
    // channel that wanted 0.5 gets 0.75 and nothing reaches the bound after scaling.
    CalibrationTable t =
        new CalibrationTable(
            1,
            "minmax",
            "",
            "",
            1,
            Map.of(),
            Map.of("h", new TensorRange(-3, 4.5f, -3, 4.5f, "minmax", 1, 0)));
    CrossLayerEqualization.Result r =
        CrossLayerEqualization.apply(pair("Clip", false), t, 10, true);
    assertArrayEquals(new double[] {2, 0.75}, r.scaled().get(0).scales(), 1e-9);
    CalibrationTable reached =
        new CalibrationTable(
            1,
            "minmax",
            "",
            "",
            1,
            Map.of(),
            Map.of("h", new TensorRange(-3, 6.5f, -3, 6.5f, "minmax", 1, 0)));
    assertTrue(
        CrossLayerEqualization.apply(pair("Clip", false), reached, 10, true).scaled().isEmpty());
  }

  @Test
  void theFp32FunctionIsUnchanged() throws Exception {
    for (boolean dw : new boolean[] {false, true}) {
      Graph g = pair("Relu", dw);
      Graph e = CrossLayerEqualization.apply(g).graph();
      float[] x = new float[18];
      for (int i = 0; i < x.length; i++) {
        x[i] = (float) Math.sin(i * 1.7) * 3;
      }
      Tensor in = Tensor.ofFloats("x", new long[] {1, 2, 3, 3}, x);
      try (InferenceSession a = OrtRuntime.get().open(g, SessionOptions.defaults());
          InferenceSession b = OrtRuntime.get().open(e, SessionOptions.defaults())) {
        assertArrayEquals(
            a.run(Map.of("x", in)).get("y").toFloats(),
            b.run(Map.of("x", in)).get("y").toFloats(),
            1e-5f);
      }
    }
  }

  @Test
  void rescaledRangesFollowTheChannelScales() {
    CrossLayerEqualization.Result r = CrossLayerEqualization.apply(pair("Relu", false));
    // Channel 0 spans [-1, 8] and channel 1 [0, 1]: divided by 2 and 0.5 they span [-0.5, 4] and
    // [0, 2].
    ChannelStatistics before =
        new ChannelStatistics(
            Map.of(
                "h",
                new ChannelStatistics.Channels(
                    new double[] {-1, 0},
                    new double[] {8, 1},
                    new double[] {0, 0},
                    new double[] {0, 0})),
            1);
    CalibrationTable t =
        new CalibrationTable(
            1,
            "percentile",
            "",
            "",
            1,
            Map.of(),
            Map.of("h", new TensorRange(-0.5f, 6, -1, 8, "percentile", 1, 2048)));
    TensorRange h = CrossLayerEqualization.rescale(t, r, before).range("h");
    assertEquals(4, h.observedMax(), 1e-6);
    assertEquals(-0.5, h.observedMin(), 1e-6);
    assertEquals(3, h.max(), 1e-6, "the percentile clip keeps its ratio 6/8 to the largest value");
  }
}
