package org.edgeopt.core.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.edgeopt.core.cpu.HostCpu;
import org.edgeopt.core.cpu.PairSaturation;
import org.edgeopt.core.graph.Attribute;
import org.edgeopt.core.graph.DataType;
import org.edgeopt.core.graph.Graph;
import org.edgeopt.core.graph.GraphBuilder;
import org.edgeopt.core.graph.Node;
import org.edgeopt.core.graph.Shape;
import org.edgeopt.core.graph.Tensor;
import org.edgeopt.core.graph.TensorType;
import org.edgeopt.core.graph.Value;
import org.edgeopt.core.onnx.OnnxModels;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * ONNX Runtime's INT8 arithmetic on hand-built worst cases, asserted against exact integer
 * references: every expectation is computed here, never taken from what the host's kernel did.
 */
class Int8ArithmeticTest {
  private static final int CHANNELS = 8;
  private static final float ACT_SCALE = 1f / 255;
  private static final float WEIGHT_SCALE = 1f / 127;

  @TempDir Path dir;

  /**
   * A QDQ Conv over uint8 activations at 255 with every int8 weight at {@code w}, requantized to
   * uint8 with scale {@code outScale}; {@code depthwise} makes it one channel per group, 3x3.
   */
  static Graph worstCaseConv(int w, boolean depthwise, float outScale) {
    int k = depthwise ? 3 : 1;
    long[] wDims = depthwise ? new long[] {CHANNELS, 1, k, k} : new long[] {1, CHANNELS, k, k};
    int outChannels = depthwise ? CHANNELS : 1;
    byte[] weights = new byte[CHANNELS * k * k];
    Arrays.fill(weights, (byte) w);
    GraphBuilder b = new GraphBuilder("worst_case", 13);
    b.addInput(new Value("x", TensorType.of(DataType.FLOAT, 1, CHANNELS, k, k)));
    b.addInitializer(Tensor.ofFloats("x_scale", new long[0], new float[] {ACT_SCALE}));
    b.addInitializer(Tensor.ofBytes("x_zp", DataType.UINT8, new long[0], new byte[] {0}));
    b.addInitializer(Tensor.ofBytes("w_q", DataType.INT8, wDims, weights));
    b.addInitializer(Tensor.ofFloats("w_scale", new long[0], new float[] {WEIGHT_SCALE}));
    b.addInitializer(Tensor.ofBytes("w_zp", DataType.INT8, new long[0], new byte[] {0}));
    b.addInitializer(Tensor.ofFloats("y_scale", new long[0], new float[] {outScale}));
    b.addInitializer(Tensor.ofBytes("y_zp", DataType.UINT8, new long[0], new byte[] {0}));
    b.addNode(Node.of("q_x", "QuantizeLinear", List.of("x", "x_scale", "x_zp"), List.of("xq")));
    b.addNode(Node.of("dq_x", "DequantizeLinear", List.of("xq", "x_scale", "x_zp"), List.of("xd")));
    b.addNode(Node.of("dq_w", "DequantizeLinear", List.of("w_q", "w_scale", "w_zp"), List.of("wd")));
    b.addNode(Node.of("conv", "Conv", List.of("xd", "wd"), List.of("y"), Attribute.of("kernel_shape", new long[] {k, k}),
        Attribute.of("group", (long) (depthwise ? CHANNELS : 1))));
    b.addNode(Node.of("q_y", "QuantizeLinear", List.of("y", "y_scale", "y_zp"), List.of("yq")));
    b.addNode(Node.of("dq_y", "DequantizeLinear", List.of("yq", "y_scale", "y_zp"), List.of("out")));
    b.addOutput(new Value("out", TensorType.of(DataType.FLOAT, 1, outChannels, 1, 1)));
    return b.build();
  }

  /** Runs the model on activations at 255 and returns the uint8 output codes. */
  private int[] run(Graph g, SessionOptions.Int8Arithmetic arithmetic, boolean depthwise) throws Exception {
    int k = depthwise ? 3 : 1;
    float[] x = new float[CHANNELS * k * k];
    Arrays.fill(x, 1f); // quantizes to 255
    Path optimized = dir.resolve("optimized-" + arithmetic + ".onnx");
    SessionOptions o = SessionOptions.defaults().withThreads(1).withInt8Arithmetic(arithmetic)
        .withOptimization(SessionOptions.Optimization.EXTENDED).savingOptimizedModel(optimized);
    float[] out;
    try (InferenceSession s = OrtRuntime.get().open(g, o)) {
      out = s.run(Map.of("x", Tensor.ofFloats("x", new long[] {1, CHANNELS, k, k}, x))).get("out").toFloats();
    }
    // The test is only meaningful if ONNX Runtime ran an integer kernel, not a float Conv.
    assertTrue(OnnxModels.read(optimized).opHistogram().containsKey("QLinearConv"),
        "expected ONNX Runtime to fuse the QDQ Conv into QLinearConv: " + OnnxModels.read(optimized).opHistogram());
    float outScale = g.initializer("y_scale").orElseThrow().toFloats()[0];
    int[] codes = new int[out.length];
    for (int i = 0; i < out.length; i++) {
      codes[i] = Math.round(out[i] / outScale);
    }
    return codes;
  }

  /** The uint8 output code of an int32 accumulator, requantized as ONNX Runtime does (float, half to even). */
  private static int requantize(int acc, float outScale) {
    float multiplier = ACT_SCALE * WEIGHT_SCALE / outScale;
    return (int) Math.max(0, Math.min(255, Math.rint(acc * multiplier)));
  }

  private static int[] filled(int n, int v) {
    int[] a = new int[n];
    Arrays.fill(a, v);
    return a;
  }

  @Test
  void exactModeComputesTheWorstCaseExactlyOnEveryHost() throws Exception {
    float outScale = 2.1f * CHANNELS / 255; // room for the exact result, and no rounding tie
    int exact = requantize(PairSaturation.dotExact(filled(CHANNELS, 255), filled(CHANNELS, 127)), outScale);
    assertArrayEquals(new int[] {exact}, run(worstCaseConv(127, false, outScale), SessionOptions.Int8Arithmetic.EXACT, false));
  }

  @Test
  void theHostsOwnKernelsFollowTheirFamilysRuleOnTheWorstCase() throws Exception {
    float outScale = 2.1f * CHANNELS / 255;
    int[] a = filled(CHANNELS, 255);
    int[] w = filled(CHANNELS, 127);
    // Every pair is equal, so how a kernel orders K does not matter: the clamp is the same.
    int expected = requantize(HostCpu.current().int8Kernel().saturatesPairs()
        ? PairSaturation.dotSaturatingPairs(a, w) : PairSaturation.dotExact(a, w), outScale);
    assertArrayEquals(new int[] {expected},
        run(worstCaseConv(127, false, outScale), SessionOptions.Int8Arithmetic.HOST, false),
        "host " + HostCpu.current().describe() + " runs " + HostCpu.current().int8Kernel());
  }

  @Test
  void portableWeightsAreExactOnTheHostsOwnKernels() throws Exception {
    float outScale = 2.1f * CHANNELS / 255;
    int w = PairSaturation.PORTABLE_WEIGHT_MAX;
    int exact = requantize(PairSaturation.dotExact(filled(CHANNELS, 255), filled(CHANNELS, w)), outScale);
    assertArrayEquals(new int[] {exact}, run(worstCaseConv(w, false, outScale), SessionOptions.Int8Arithmetic.HOST, false));
  }

  @Test
  void depthwiseConvolutionsWithFullRangeWeightsAreExactOnTheHostsOwnKernels() throws Exception {
    // The portable profile keeps [-127, 127] for depthwise convolutions on this evidence: ONNX
    // Runtime's depthwise kernels widen to int16 before multiplying, so nothing clamps.
    float outScale = 2.1f * 9 / 255;
    int exact = requantize(PairSaturation.dotExact(filled(9, 255), filled(9, 127)), outScale);
    int[] expected = filled(CHANNELS, exact);
    assertArrayEquals(expected, run(worstCaseConv(127, true, outScale), SessionOptions.Int8Arithmetic.HOST, true));
    assertArrayEquals(expected, run(worstCaseConv(127, true, outScale), SessionOptions.Int8Arithmetic.EXACT, true));
  }
}
