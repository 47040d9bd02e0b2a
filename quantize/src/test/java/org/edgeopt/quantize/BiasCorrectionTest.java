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
import org.edgeopt.core.runtime.InferenceSession;
import org.edgeopt.core.runtime.OrtRuntime;
import org.edgeopt.core.runtime.SessionOptions;
import org.junit.jupiter.api.Test;

/**
 * Bias correction with a shift known by hand. A 1x1 Conv with weights {1.0, 0.3} (bias 0.5)
 * quantized to [-64, 64] per channel has scale 1/64: 1.0 stays exact, 0.3 becomes 19/64 =
 * 0.296875, an error of -0.003125. Its second input channel is 2 in one sample and 4 in the
 * other (mean 3), so the quantized layer's output is lower by 0.009375 on average and the bias
 * becomes 0.509375. A Gemm with the same weights and no bias gets a new bias of +0.009375.
 */
class BiasCorrectionTest {
  private static final double SHIFT = (19.0 / 64 - 0.3f) * 3;

  static Graph model() {
    GraphBuilder b = new GraphBuilder("bc", 13);
    b.addInput(new Value("x", TensorType.of(DataType.FLOAT, new long[] {-1, 2, 1, 1})));
    b.addOutput(new Value("y", new TensorType(DataType.FLOAT, null)));
    b.addOutput(new Value("z", new TensorType(DataType.FLOAT, null)));
    b.addInitializer(Tensor.ofFloats("w", new long[] {1, 2, 1, 1}, new float[] {1.0f, 0.3f}));
    b.addInitializer(Tensor.ofFloats("b", new long[] {1}, new float[] {0.5f}));
    b.addInitializer(Tensor.ofFloats("wg", new long[] {1, 2}, new float[] {1.0f, 0.3f}));
    b.addInitializer(Tensor.ofLongs("flat", new long[] {2}, new long[] {-1, 2}));
    b.addNode(Node.of("conv", "Conv", List.of("x", "w", "b"), List.of("y")));
    b.addNode(Node.of("reshape", "Reshape", List.of("x", "flat"), List.of("x2")));
    b.addNode(
        Node.of("gemm", "Gemm", List.of("x2", "wg"), List.of("z"), Attribute.of("transB", 1L)));
    return b.build();
  }

  static TensorDataset data() {
    return new TensorDataset(
        List.of(Tensor.ofFloats("x", new long[] {2, 2, 1, 1}, new float[] {1, 2, 1, 4})));
  }

  @Test
  void theShiftIsTheWeightErrorTimesTheMeanInput() throws Exception {
    BiasCorrection.Result r =
        BiasCorrection.measure(model(), QuantizeConfig.defaults(), data(), 2, "bc");
    assertEquals(2, r.samples());
    assertEquals(
        List.of("conv", "gemm"), r.layers().stream().map(BiasCorrection.LayerShift::node).toList());
    assertArrayEquals(new double[] {SHIFT}, r.layers().get(0).shift(), 1e-7);
    assertArrayEquals(new double[] {SHIFT}, r.layers().get(1).shift(), 1e-7);
    assertEquals(-0.009375, SHIFT, 1e-7);
  }

  @Test
  void applySubtractsTheShiftAndAddsAMissingBias() throws Exception {
    BiasCorrection.Result r =
        BiasCorrection.measure(model(), QuantizeConfig.defaults(), data(), 2, "bc");
    Graph corrected = BiasCorrection.apply(model(), r);
    assertArrayEquals(new float[] {0.509375f}, corrected.initializers().get("b").toFloats(), 1e-6f);
    Node gemm = corrected.node("gemm").orElseThrow();
    assertEquals(3, gemm.inputs().size());
    assertArrayEquals(
        new float[] {0.009375f}, corrected.initializers().get(gemm.input(2)).toFloats(), 1e-6f);
  }

  @Test
  void theQuantizedLayersCarryTheCorrectedBiasAndTheirMeanOutputMatchesFp32() throws Exception {
    Graph g = model();
    // Ranges with exact steps (input 0.5, zero point 0) and a second channel of 50 and 100: the
    // weights' shift (-0.003125 x 75 = -0.23) is larger than the output's rounding (step 0.15).
    Tensor x = Tensor.ofFloats("x", new long[] {2, 2, 1, 1}, new float[] {0, 50, 0, 100});
    CalibrationTable table =
        MinMaxCalibration.collect(
            g,
            List.of(Tensor.ofFloats("x", new long[] {2, 2, 1, 1}, new float[] {0, 0, 0, 127.5f}))
                .iterator());
    TensorDataset data = new TensorDataset(List.of(x));
    QuantizeConfig plain = QuantizeConfig.defaults();
    ModelQuantizer.Provenance p = new ModelQuantizer.Provenance("bc", null, "t", null);
    ModelQuantizer.Outcome off = ModelQuantizer.quantize(g, table, plain, data, p);
    ModelQuantizer.Outcome on =
        ModelQuantizer.quantize(g, table, plain.withBiasCorrection(true), data, p);
    assertEquals(1, on.report().passes().size());
    assertEquals("biasCorrection", on.report().passes().get(0).name());
    assertTrue(
        on.report().passes().get(0).changes().get(0).contains("conv"),
        on.report().passes().toString());
    double errOff = meanError(g, off.graph(), x);
    double errOn = meanError(g, on.graph(), x);
    assertTrue(
        Math.abs(errOff) > 0.15,
        "without correction the mean error is the weights' shift: " + errOff);
    assertTrue(
        Math.abs(errOn) < 0.08, "mean output error " + errOn + " with, " + errOff + " without");
  }

  /** Returns the mean of (quantized - FP32) of output y over the samples of {@code x}. */
  private static double meanError(Graph fp32, Graph q, Tensor x) throws Exception {
    try (InferenceSession a = OrtRuntime.get().open(fp32, SessionOptions.defaults());
        InferenceSession b = OrtRuntime.get().open(q, SessionOptions.defaults())) {
      float[] ya = a.run(Map.of("x", x)).get("y").toFloats();
      float[] yb = b.run(Map.of("x", x)).get("y").toFloats();
      double sum = 0;
      for (int i = 0; i < ya.length; i++) {
        sum += yb[i] - ya[i];
      }
      return sum / ya.length;
    }
  }
}
