package org.edgeopt.quantize;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.edgeopt.core.EdgeoptException;
import org.edgeopt.core.ExitCode;
import org.edgeopt.core.graph.DataType;
import org.edgeopt.core.quant.QuantParams;
import org.edgeopt.core.testing.TestModels;
import org.junit.jupiter.api.Test;

/** Rounding, clamping and per-channel scales against values computed by hand. */
class WeightQuantizerTest {

  @Test
  void perChannelAlongAxisZeroRoundsHalfToEvenAndClampsSymmetric() throws Exception {
    // Channel 0: |max| 127 -> scale 1. Channel 1: |max| 63.5 -> scale 0.5. Channel 2: all zero ->
    // scale 1.
    float[] w = {
      127f, -3.5f, 2.5f, 0.4f,
      63.5f, -63.5f, 1.25f, -0.25f,
      0f, 0f, 0f, 0f
    };
    WeightQuantizer.QuantizedWeights q =
        WeightQuantizer.perChannel(w, new long[] {3, 4}, 0, "test");
    assertArrayEquals(new float[] {1f, 0.5f, 1f}, q.params().scales());
    assertArrayEquals(new long[] {0, 0, 0}, q.params().zeroPoints());
    assertEquals(0, q.params().axis());
    assertEquals(DataType.INT8, q.params().type());
    // -3.5 -> -4 and 2.5 -> 2 (ties to even); 0.4 -> 0; 1.25 / 0.5 = 2.5 -> 2; -0.25 / 0.5 = -0.5
    // -> 0.
    assertArrayEquals(new byte[] {127, -4, 2, 0, 127, -127, 2, 0, 0, 0, 0, 0}, q.values());
  }

  @Test
  void perTensorUsesOneScaleForTheWholeTensor() throws Exception {
    float[] w = {127f, -3.5f, 2.5f, 63.5f, -63.5f, 0f};
    WeightQuantizer.QuantizedWeights q = WeightQuantizer.perTensor(w, "test");
    assertArrayEquals(new float[] {1f}, q.params().scales());
    assertEquals(-1, q.params().axis());
    // Ties to even: -3.5 -> -4, 2.5 -> 2, 63.5 -> 64, -63.5 -> -64.
    assertArrayEquals(new byte[] {127, -4, 2, 64, -64, 0}, q.values());
  }

  @Test
  void meanOutputScaleKeepsTheInputZeroPointWhole() {
    QuantParams in = QuantParams.asymmetric(0f, 6f, DataType.INT8);
    QuantParams out = QuantParams.asymmetric(0f, 2.99f, DataType.INT8);
    // zp -128 times 0.0235294 / 0.0117255 = -256.86: not whole. The scale grows to exactly in / 2.
    QuantParams m = QdqParams.meanOutput(in, out);
    assertEquals(in.scale() / 2, m.scale(), 0f);
    assertEquals(-128, m.zeroPoint());
    assertTrue(m.scale() >= out.scale(), "nothing clips");
    // A zero input zero point needs nothing.
    QuantParams sym = QuantParams.symmetric(6f, DataType.INT8);
    assertEquals(out, QdqParams.meanOutput(sym, out));
    // When no scale within 2% works (|zp| * ratio = 6.9), the output shares the input's parameters.
    QuantParams smallZp = new QuantParams(new float[] {0.23f}, new long[] {-3}, -1, DataType.INT8);
    QuantParams o2 = new QuantParams(new float[] {0.1f}, new long[] {-3}, -1, DataType.INT8);
    assertEquals(smallZp, QdqParams.meanOutput(smallZp, o2));
  }

  @Test
  void perChannelAlongAxisOneUsesOneScalePerColumn() throws Exception {
    // [K=2, N=3], channels are columns (a MatMul or Gemm weight without transB).
    float[] w = {
      1f, 2f, 0f,
      -4f, 0.5f, 0f
    };
    WeightQuantizer.QuantizedWeights q =
        WeightQuantizer.perChannel(w, new long[] {2, 3}, 1, "test");
    float[] s = q.params().scales();
    assertEquals(4f / 127f, s[0], 0f);
    assertEquals(2f / 127f, s[1], 0f);
    assertEquals(1f, s[2], 0f);
    // 1 / (4/127) = 31.75 -> 32; 0.5 / (2/127) = 31.75 -> 32.
    assertArrayEquals(new byte[] {32, 127, 0, -127, 32, 0}, q.values());
  }

  @Test
  void matchesQuantParamsElementByElement() throws Exception {
    long[] dims = {8, 3, 3, 3};
    float[] w = TestModels.random(7, 8 * 27, 0.7f);
    WeightQuantizer.QuantizedWeights q = WeightQuantizer.perChannel(w, dims, 0, "test");
    byte[] v = q.values();
    for (int i = 0; i < w.length; i++) {
      assertEquals(q.params().quantize(w[i], i / 27), v[i], "element " + i);
      // Dequantized weights are within half a step of the original.
      float back = q.params().dequantize(v[i], i / 27);
      assertTrue(Math.abs(back - w[i]) <= q.params().scales()[i / 27] / 2 + 1e-7f, "element " + i);
    }
  }

  @Test
  void biasIsInt32AtInputScaleTimesWeightScale() throws Exception {
    float[] scales = WeightQuantizer.biasScales(0.5f, new float[] {0.25f, 2f, 1f}, 3);
    assertArrayEquals(new float[] {0.125f, 1f, 0.5f}, scales);
    // 1 / 0.125 = 8; -2.5 / 1 = -2.5 -> -2 (ties to even); 1e10 / 0.5 saturates at int32 max.
    assertArrayEquals(
        new int[] {8, -2, Integer.MAX_VALUE},
        WeightQuantizer.bias(new float[] {1f, -2.5f, 1e10f}, scales, "test"));
  }

  @Test
  void activationParametersByHand() {
    // uint8 over [-1, 3]: scale 4/255, zero point round(0 + 1 / (4/255)) = round(63.75) = 64.
    QuantParams u = QuantParams.asymmetric(-1f, 3f, DataType.UINT8);
    assertEquals(4f / 255f, u.scale(), 1e-9f);
    assertEquals(64, u.zeroPoint());
    assertEquals(0, u.quantize(-5f, 0), "clamped at 0");
    assertEquals(255, u.quantize(7f, 0), "clamped at 255");
    assertEquals(64, u.quantize(0f, 0), "zero is exact");
    // A ReLU output [0, 6] gets zero point 0: the uint8 floor is the ReLU.
    assertEquals(0, QuantParams.asymmetric(0f, 6f, DataType.UINT8).zeroPoint());
    // Per tensor, scale 0.5: ties to even, int8 clamps at -128 and 127.
    QuantParams t = new QuantParams(new float[] {0.5f}, new long[] {0}, -1, DataType.INT8);
    assertEquals(0, t.quantize(0.25f, 0));
    assertEquals(2, t.quantize(0.75f, 0));
    assertEquals(2, t.quantize(1.25f, 0));
    assertEquals(-2, t.quantize(-0.75f, 0));
    assertEquals(127, t.quantize(100f, 0));
    assertEquals(-128, t.quantize(-100f, 0));
    assertEquals(-1.5f, t.dequantize(-3, 0));
  }

  @Test
  void nanWeightIsInvalidInputNamingTheTensor() {
    float[] w = {1f, Float.NaN, 0f, 2f};
    EdgeoptException e =
        assertThrows(
            EdgeoptException.class,
            () ->
                WeightQuantizer.perChannel(
                    w, new long[] {2, 2}, 0, "model.onnx: initializer 'fc.w' of Gemm 'fc'"));
    assertEquals(ExitCode.INVALID_INPUT, e.exitCode());
    assertEquals(
        "model.onnx: initializer 'fc.w' of Gemm 'fc': weight 1 is NaN, expected finite numbers",
        e.getMessage());
  }
}
