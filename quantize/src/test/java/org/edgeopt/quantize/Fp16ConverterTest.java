package org.edgeopt.quantize;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import java.util.Set;
import org.edgeopt.core.graph.DataType;
import org.edgeopt.core.graph.Graph;
import org.edgeopt.core.graph.Node;
import org.edgeopt.core.graph.Tensor;
import org.edgeopt.core.onnx.OnnxChecker;
import org.edgeopt.core.runtime.InferenceSession;
import org.edgeopt.core.runtime.OrtRuntime;
import org.edgeopt.core.runtime.SessionOptions;
import org.edgeopt.core.testing.TestModels;
import org.junit.jupiter.api.Test;

/** FP16 conversion of the small CNN, run in ONNX Runtime and compared with FP32. */
class Fp16ConverterTest {
  /**
   * FP16 logits must stay within this SQNR of FP32 (half precision keeps 11 significant bits,
   * about 66 dB per rounding; measured 63.8 dB on these logits).
   */
  static final double MIN_SQNR_DB = 55;

  private static float[] run(Graph g, Tensor x) throws Exception {
    try (InferenceSession s = OrtRuntime.get().open(g, SessionOptions.defaults())) {
      return s.run(Map.of("input", x)).get("logits").toFloats();
    }
  }

  @Test
  void weightsAndActivationsBecomeHalfWithFloat32AtTheBoundary() throws Exception {
    Graph fp32 = TestModels.smallCnn(13);
    Graph half = Fp16Converter.convert(fp32, true, Set.of(), "small_cnn");
    OnnxChecker.check(half, "fp16 small_cnn");
    assertEquals(DataType.FLOAT, half.inputs().get(0).type().dataType());
    assertEquals(DataType.FLOAT, half.outputs().get(0).type().dataType());
    assertTrue(
        half.initializers().values().stream()
            .filter(t -> t.dataType().isFloat())
            .allMatch(t -> t.dataType() == DataType.FLOAT16),
        "every weight is float16");
    assertEquals(DataType.FLOAT16, half.type("r1").orElseThrow().dataType());
    assertEquals(2, half.opHistogram().get("Cast"), "one Cast in, one Cast out");
    Tensor x = TestModels.smallCnnInput(5, 32);
    double sqnr = SqnrProbe.sqnrDb(run(fp32, x), run(half, x));
    assertTrue(sqnr >= MIN_SQNR_DB, "FP16 logit SQNR " + sqnr + " dB, expected >= " + MIN_SQNR_DB);
  }

  @Test
  void halfInputsAndOutputsWhenAsked() throws Exception {
    Graph fp32 = TestModels.smallCnn(13);
    Graph half = Fp16Converter.convert(fp32, false, Set.of(), "small_cnn");
    OnnxChecker.check(half, "fp16 small_cnn");
    assertEquals(DataType.FLOAT16, half.inputs().get(0).type().dataType());
    assertEquals(DataType.FLOAT16, half.outputs().get(0).type().dataType());
    assertTrue(!half.opHistogram().containsKey("Cast"));
    Tensor x = TestModels.smallCnnInput(5, 32);
    Tensor xh = Tensor.ofFloat16("input", x.dims(), x.toFloats());
    double sqnr = SqnrProbe.sqnrDb(run(fp32, x), run(half, xh));
    assertTrue(sqnr >= MIN_SQNR_DB - 3, "FP16 logit SQNR " + sqnr + " dB");
  }

  @Test
  void excludedNodesKeepFloat32WeightsBetweenCasts() throws Exception {
    Graph fp32 = TestModels.smallCnn(13);
    Graph half = Fp16Converter.convert(fp32, true, Set.of("fc"), "small_cnn");
    OnnxChecker.check(half, "fp16 small_cnn");
    Node fc = half.node("fc").orElseThrow();
    assertEquals(DataType.FLOAT, half.initializers().get(fc.input(1)).dataType());
    assertEquals(DataType.FLOAT, half.type(fc.input(0)).orElseThrow().dataType());
    assertEquals(DataType.FLOAT, half.type("logits").orElseThrow().dataType());
    Tensor x = TestModels.smallCnnInput(6, 32);
    assertTrue(SqnrProbe.sqnrDb(run(fp32, x), run(half, x)) >= MIN_SQNR_DB);
  }
}
