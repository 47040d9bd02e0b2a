package org.edgeopt.quantize;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.Random;
import org.edgeopt.core.graph.Attribute;
import org.edgeopt.core.graph.DataType;
import org.edgeopt.core.graph.Graph;
import org.edgeopt.core.graph.GraphBuilder;
import org.edgeopt.core.graph.Node;
import org.edgeopt.core.graph.Tensor;
import org.edgeopt.core.graph.TensorType;
import org.edgeopt.core.graph.Value;
import org.edgeopt.core.quant.CalibrationTable;
import org.edgeopt.core.runtime.InferenceSession;
import org.edgeopt.core.runtime.OrtRuntime;
import org.edgeopt.core.runtime.SessionOptions;
import org.junit.jupiter.api.Test;

/**
 * Smoothing with scales known by hand. The smoothed activation has per-channel maxima
 * {@code max|X| = {1, 1, 64, 1}} (channel 2 an outlier) and feeds a Gemm whose weight rows
 * (input channels) have maxima {@code max|W| = {1, 4, 1, 0.25}}; with alpha 0.5,
 * {@code s = sqrt(max|X| / max|W|) = {1, 0.5, 8, 2}}. Either the activation is the graph input
 * (a Mul by {@code 1 / s} is inserted) or it is the output of a first Gemm (diagonal weights
 * {1, 1, 64, 1}, bias 0.5 each), whose columns and bias absorb the division.
 */
class SmoothQuantTest {
  private static final double[] SCALES = {1, 0.5, 8, 2};
  private static final float[] W2 = {
    1, -0.5f, 0.25f, -4, 2, 1, 0.5f, 1, -0.75f, 0.25f, -0.125f, 0.1f
  };

  /** Builds the graph; {@code folded} puts the diagonal Gemm before the smoothed one. */
  static Graph model(boolean folded) {
    GraphBuilder b = new GraphBuilder("sq", 13);
    b.addInput(new Value("x", TensorType.of(DataType.FLOAT, new long[] {-1, 4})));
    b.addOutput(new Value("y", new TensorType(DataType.FLOAT, null)));
    String h = "x";
    if (folded) {
      float[] diag = new float[16];
      float[] d = {1, 1, 64, 1};
      for (int i = 0; i < 4; i++) {
        diag[i * 4 + i] = d[i];
      }
      b.addInitializer(Tensor.ofFloats("w1", new long[] {4, 4}, diag));
      b.addInitializer(Tensor.ofFloats("b1", new long[] {4}, new float[] {0.5f, 0.5f, 0.5f, 0.5f}));
      b.addNode(Node.of("gemm1", "Gemm", List.of("x", "w1", "b1"), List.of("h")));
      h = "h";
    }
    b.addInitializer(Tensor.ofFloats("w2", new long[] {4, 3}, W2));
    b.addInitializer(Tensor.ofFloats("b2", new long[] {3}, new float[] {0.1f, -0.2f, 0.3f}));
    b.addNode(
        Node.of("gemm2", "Gemm", List.of(h, "w2", "b2"), List.of("y"), Attribute.of("transB", 0L)));
    return b.build();
  }

  /**
   * 64 samples. Unfolded: uniform in (-1, 1), the first exactly 1 in every channel, channel 2
   * (with {@code outlier}) multiplied by 64. Folded: uniform in (-0.5, 0.5) and a first sample
   * {0.5, 0.5, 63.5 / 64, 0.5}, so that the first Gemm's output (x + 0.5, channel 2: 64 x + 0.5)
   * has the same maxima {1, 1, 64, 1}, reached by the first sample.
   */
  static Tensor inputs(boolean outlier, boolean folded) {
    Random r = new Random(7);
    float[] v = new float[64 * 4];
    for (int i = 0; i < v.length; i++) {
      double u = r.nextDouble() * 2 - 1;
      if (folded) {
        v[i] = i < 4 ? (i == 2 ? 63.5f / 64 : 0.5f) : (float) (u * 0.5);
      } else {
        v[i] = i < 4 ? 1 : (float) u;
        if (outlier && i % 4 == 2) {
          v[i] *= 64;
        }
      }
    }
    return Tensor.ofFloats("x", new long[] {64, 4}, v);
  }

  private static SmoothQuant.Result smooth(Graph g, Tensor x) throws Exception {
    return SmoothQuant.apply(g, 0.5, new TensorDataset(List.of(x)), 64, "sq");
  }

  @Test
  void insertsAMulWithTheScalesComputedByHand() throws Exception {
    Graph g = model(false);
    Tensor x = inputs(true, false);
    SmoothQuant.Result r = smooth(g, x);
    assertEquals(1, r.smoothed().size(), r.changes().toString());
    SmoothQuant.Smoothed s = r.smoothed().get(0);
    assertArrayEquals(SCALES, s.scales(), 1e-6);
    assertEquals("", s.foldedInto());
    assertEquals(List.of("gemm2"), s.layers());
    Node mul = r.graph().node(s.mul()).orElseThrow();
    assertArrayEquals(
        new float[] {1, 2, 0.125f, 0.5f},
        r.graph().initializers().get(mul.input(1)).toFloats(),
        1e-6f);
    assertArrayEquals(expectedW2(), r.graph().initializers().get("w2").toFloats(), 1e-6f);
    assertSameFunction(g, r.graph(), x);
  }

  @Test
  void foldsIntoTheProducingGemm() throws Exception {
    Graph g = model(true);
    Tensor x = inputs(false, true);
    SmoothQuant.Result r = smooth(g, x);
    assertEquals(
        List.of("x", "h"), r.smoothed().stream().map(SmoothQuant.Smoothed::input).toList());
    // The graph input x, read by gemm1 (rows {1, 1, 64, 1}), gets a Mul: s = sqrt(max|x| / max|W1
    // row|).
    double[] sx = {Math.sqrt(0.5), Math.sqrt(0.5), Math.sqrt(63.5 / 64 / 64), Math.sqrt(0.5)};
    assertArrayEquals(sx, r.smoothed().get(0).scales(), 1e-6);
    SmoothQuant.Smoothed s = r.smoothed().get(1);
    assertArrayEquals(SCALES, s.scales(), 1e-6);
    assertEquals("gemm1", s.foldedInto());
    assertEquals("h", s.smoothed());
    float[] w1 = r.graph().initializers().get("w1").toFloats();
    float[] d = {1, 1, 64, 1};
    for (int i = 0; i < 4; i++) {
      assertEquals(
          d[i] * sx[i] / SCALES[i],
          w1[i * 4 + i],
          1e-5,
          "diagonal " + i + ": row times s_x, column over s_h");
    }
    assertArrayEquals(
        new float[] {0.5f, 1, 0.0625f, 0.25f},
        r.graph().initializers().get("b1").toFloats(),
        1e-6f);
    assertArrayEquals(expectedW2(), r.graph().initializers().get("w2").toFloats(), 1e-6f);
    assertSameFunction(g, r.graph(), x);
  }

  @Test
  void int8ErrorDropsAndTheReportSaysWhatChanged() throws Exception {
    for (boolean folded : new boolean[] {false, true}) {
      Graph g = model(folded);
      Tensor x = inputs(!folded, folded);
      CalibrationTable table = MinMaxCalibration.collect(g, List.of(x).iterator());
      TensorDataset data = new TensorDataset(List.of(x));
      QuantizeConfig plain = QuantizeConfig.defaults();
      ModelQuantizer.Provenance p = new ModelQuantizer.Provenance("sq", null, "t", null);
      ModelQuantizer.Outcome off = ModelQuantizer.quantize(g, table, plain, data, p);
      ModelQuantizer.Outcome on =
          ModelQuantizer.quantize(g, table, plain.withSmoothing(0.5), data, p);
      QuantizationReport.PassReport pass = on.report().passes().get(0);
      assertEquals("smoothQuant", pass.name());
      assertEquals(64, pass.samples());
      String last = pass.changes().get(pass.changes().size() - 1);
      assertTrue(
          last.contains("'gemm2'")
              && last.contains(folded ? "folded into 'gemm1'" : "inserted float Mul"),
          pass.changes().toString());
      assertTrue(
          on.report().layers().stream()
              .anyMatch(
                  l ->
                      l.op().equals("Mul")
                          && l.reason() != null
                          && l.reason().contains("SmoothQuant")),
          "the smoothing Mul stays float: " + on.report().layers());
      double errOff = meanAbsError(g, off.graph(), x);
      double errOn = meanAbsError(g, on.graph(), x);
      assertTrue(
          errOn < 0.5 * errOff,
          (folded ? "folded" : "Mul")
              + ": mean |error| "
              + errOn
              + " with smoothing, "
              + errOff
              + " without");
    }
  }

  private static float[] expectedW2() {
    float[] w = W2.clone();
    for (int i = 0; i < w.length; i++) {
      w[i] *= (float) SCALES[i / 3];
    }
    return w;
  }

  private static void assertSameFunction(Graph a, Graph b, Tensor x) throws Exception {
    try (InferenceSession sa = OrtRuntime.get().open(a, SessionOptions.defaults());
        InferenceSession sb = OrtRuntime.get().open(b, SessionOptions.defaults())) {
      float[] ya = sa.run(Map.of("x", x)).get("y").toFloats();
      float[] yb = sb.run(Map.of("x", x)).get("y").toFloats();
      for (int i = 0; i < ya.length; i++) {
        assertEquals(ya[i], yb[i], 1e-5 * Math.max(1, Math.abs(ya[i])), "output " + i);
      }
    }
  }

  private static double meanAbsError(Graph fp32, Graph q, Tensor x) throws Exception {
    try (InferenceSession a = OrtRuntime.get().open(fp32, SessionOptions.defaults());
        InferenceSession b = OrtRuntime.get().open(q, SessionOptions.defaults())) {
      float[] ya = a.run(Map.of("x", x)).get("y").toFloats();
      float[] yb = b.run(Map.of("x", x)).get("y").toFloats();
      double sum = 0;
      for (int i = 0; i < ya.length; i++) {
        sum += Math.abs(yb[i] - ya[i]);
      }
      return sum / ya.length;
    }
  }
}
