package org.edgeopt.quantize;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.edgeopt.core.graph.Attribute;
import org.edgeopt.core.graph.Graph;
import org.edgeopt.core.graph.Node;
import org.edgeopt.core.graph.Tensor;
import org.edgeopt.core.quant.CalibrationTable;
import org.edgeopt.core.runtime.InferenceSession;
import org.edgeopt.core.runtime.OrtRuntime;
import org.edgeopt.core.runtime.SessionOptions;
import org.junit.jupiter.api.Test;

/**
 * Bias absorption on {@link CrossLayerEqualizationTest#pair}'s Conv -> ReLU -> Conv after
 * equalization: conv1 has weights {2, -1}, {-2, 1} and bias {1, 1}, conv2 weights {2, -2} and
 * no bias. With input channel 1 zero, the pre-activations are {@code h0 = 2 x0 + 1} and
 * {@code h1 = -2 x0 + 1}. Two samples with x0 = 1 and 1.5 everywhere give h0 = 3 and 4 (mean
 * 3.5, std 0.5, so c0 = 3.5 - 1.5 = 2, and every h0 is at least 2) and h1 = -1 and -2 (c1 = 0):
 * conv1's bias becomes {-1, 1} and conv2 gets the bias {2 * 2} = {4}.
 */
class BiasAbsorptionTest {

  /** A batch of one sample with channel 0 set to {@code x0} at every position except those given {@code low}. */
  private static Tensor sample(float x0, float low, int lowPositions) {
    float[] v = new float[18];
    Arrays.fill(v, 0, 9, x0);
    Arrays.fill(v, 0, lowPositions, low);
    return Tensor.ofFloats("x", new long[] {1, 2, 3, 3}, v);
  }

  private static CrossLayerEqualization.Result equalized(boolean padded) {
    Graph g = CrossLayerEqualizationTest.pair("Relu", false);
    if (padded) {
      Node conv2 = g.node("conv2").orElseThrow();
      g =
          g.toBuilder()
              .replaceNode(conv2.withAttribute(Attribute.of("pads", new long[] {1, 1, 1, 1})))
              .build();
    }
    return CrossLayerEqualization.apply(g);
  }

  @Test
  void absorbsTheAmountComputedByHandAndKeepsTheFp32Outputs() throws Exception {
    CrossLayerEqualization.Result cle = equalized(false);
    List<Tensor> xs = List.of(sample(1, 0, 0), sample(1.5f, 0, 0));
    BiasAbsorption.Result r = BiasAbsorption.apply(cle, new TensorDataset(xs), 2, "ba");
    assertEquals(1, r.absorbed().size(), r.changes().toString());
    BiasAbsorption.Absorbed a = r.absorbed().get(0);
    assertArrayEquals(new double[] {2, 0}, a.amounts(), 1e-6);
    assertEquals(1, a.candidates());
    assertArrayEquals(new float[] {-1, 1}, r.graph().initializers().get("b1").toFloats(), 1e-6f);
    Node conv2 = r.graph().node("conv2").orElseThrow();
    assertArrayEquals(
        new float[] {4}, r.graph().initializers().get(conv2.input(2)).toFloats(), 1e-6f);
    assertArrayEquals(new double[] {2, 0}, r.shiftedTensors(cle).get("a"), 1e-6);
    try (InferenceSession before = OrtRuntime.get().open(cle.graph(), SessionOptions.defaults());
        InferenceSession after = OrtRuntime.get().open(r.graph(), SessionOptions.defaults())) {
      for (Tensor x : xs) {
        assertArrayEquals(
            before.run(Map.of("x", x)).get("y").toFloats(),
            after.run(Map.of("x", x)).get("y").toFloats(),
            1e-5f);
      }
    }
  }

  @Test
  void aChannelWithValuesBelowTheAmountIsLeftAlone() throws Exception {
    // h0 is 4 at 17 positions and 2 at one: mean 3.889, std 0.458, mean - 3 std = 2.51 > 2.
    List<Tensor> xs = List.of(sample(1.5f, 0, 0), sample(1.5f, 0.5f, 1));
    BiasAbsorption.Result r =
        BiasAbsorption.apply(equalized(false), new TensorDataset(xs), 2, "ba");
    assertEquals(List.of(), r.absorbed());
    assertTrue(r.skipped().get(0).contains("1 of 2 with mean - 3 std > 0"), r.skipped().toString());
  }

  @Test
  void aSecondConvThatPadsIsSkipped() throws Exception {
    List<Tensor> xs = List.of(sample(1, 0, 0), sample(1.5f, 0, 0));
    BiasAbsorption.Result r = BiasAbsorption.apply(equalized(true), new TensorDataset(xs), 2, "ba");
    assertEquals(List.of(), r.absorbed());
    assertTrue(r.skipped().get(0).contains("pads with zeros"), r.skipped().toString());
  }

  @Test
  void theQuantizerReportsTheAbsorptionWithEqualization() throws Exception {
    Graph g = CrossLayerEqualizationTest.pair("Relu", false);
    List<Tensor> xs = List.of(sample(1, 0, 0), sample(1.5f, 0, 0));
    CalibrationTable table = MinMaxCalibration.collect(g, xs.iterator());
    ModelQuantizer.Outcome o =
        ModelQuantizer.quantize(
            g,
            table,
            QuantizeConfig.defaults().withCrossLayerEqualization(true),
            new TensorDataset(xs),
            new ModelQuantizer.Provenance("ba", null, "t", null));
    List<String> lines = o.report().passes().get(0).changes();
    assertTrue(
        lines.stream()
            .anyMatch(l -> l.startsWith("absorbed bias of Conv 'conv1' into Conv 'conv2': 1 of 2")),
        lines.toString());
  }
}
