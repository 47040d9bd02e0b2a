package org.edgeopt.core.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import org.edgeopt.core.cpu.HostCpu;
import org.edgeopt.core.cpu.PairSaturation;
import org.edgeopt.core.graph.Graph;
import org.edgeopt.core.graph.Tensor;
import org.edgeopt.core.onnx.OnnxModels;
import org.edgeopt.core.testing.TestModels;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * ONNX Runtime's INT8 arithmetic on hand-built worst cases, asserted against exact integer
 * references: every expectation is computed here, never taken from what the host's kernel did.
 */
class Int8ArithmeticTest {
  private static final int CHANNELS = TestModels.WORST_CASE_CHANNELS;
  private static final float ACT_SCALE = TestModels.WORST_CASE_ACTIVATION_SCALE;
  private static final float WEIGHT_SCALE = TestModels.WORST_CASE_WEIGHT_SCALE;

  @TempDir Path dir;

  /** Runs the model on activations at 255 and returns the uint8 output codes. */
  private int[] run(Graph g, SessionOptions.Int8Arithmetic arithmetic, boolean depthwise)
      throws Exception {
    int k = depthwise ? 3 : 1;
    float[] x = new float[CHANNELS * k * k];
    Arrays.fill(x, 1f); // quantizes to 255
    Path optimized = dir.resolve("optimized-" + arithmetic + ".onnx");
    SessionOptions o =
        SessionOptions.defaults()
            .withThreads(1)
            .withInt8Arithmetic(arithmetic)
            .withOptimization(SessionOptions.Optimization.EXTENDED)
            .savingOptimizedModel(optimized);
    float[] out;
    try (InferenceSession s = OrtRuntime.get().open(g, o)) {
      out =
          s.run(Map.of("x", Tensor.ofFloats("x", new long[] {1, CHANNELS, k, k}, x)))
              .get("out")
              .toFloats();
    }
    // The test is only meaningful if ONNX Runtime ran an integer kernel, not a float Conv.
    assertTrue(
        OnnxModels.read(optimized).opHistogram().containsKey("QLinearConv"),
        "expected ONNX Runtime to fuse the QDQ Conv into QLinearConv: "
            + OnnxModels.read(optimized).opHistogram());
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
    int exact =
        requantize(PairSaturation.dotExact(filled(CHANNELS, 255), filled(CHANNELS, 127)), outScale);
    assertArrayEquals(
        new int[] {exact},
        run(
            TestModels.worstCaseQdqConv(127, false, outScale),
            SessionOptions.Int8Arithmetic.EXACT,
            false));
  }

  @Test
  void theHostsOwnKernelsFollowTheirFamilysRuleOnTheWorstCase() throws Exception {
    float outScale = 2.1f * CHANNELS / 255;
    int[] a = filled(CHANNELS, 255);
    int[] w = filled(CHANNELS, 127);
    // Every pair is equal, so how a kernel orders K does not matter: the clamp is the same.
    int expected =
        requantize(
            HostCpu.current().int8Kernel().saturatesPairs()
                ? PairSaturation.dotSaturatingPairs(a, w)
                : PairSaturation.dotExact(a, w),
            outScale);
    assertArrayEquals(
        new int[] {expected},
        run(
            TestModels.worstCaseQdqConv(127, false, outScale),
            SessionOptions.Int8Arithmetic.HOST,
            false),
        "host " + HostCpu.current().describe() + " runs " + HostCpu.current().int8Kernel());
  }

  @Test
  void portableWeightsAreExactOnTheHostsOwnKernels() throws Exception {
    float outScale = 2.1f * CHANNELS / 255;
    int w = PairSaturation.PORTABLE_WEIGHT_MAX;
    int exact =
        requantize(PairSaturation.dotExact(filled(CHANNELS, 255), filled(CHANNELS, w)), outScale);
    assertArrayEquals(
        new int[] {exact},
        run(
            TestModels.worstCaseQdqConv(w, false, outScale),
            SessionOptions.Int8Arithmetic.HOST,
            false));
  }

  @Test
  void depthwiseConvolutionsWithFullRangeWeightsAreExactOnTheHostsOwnKernels() throws Exception {
    // The portable profile keeps [-127, 127] for depthwise convolutions on this evidence: ONNX
    // Runtime's depthwise kernels widen to int16 before multiplying, so nothing clamps.
    float outScale = 2.1f * 9 / 255;
    int exact = requantize(PairSaturation.dotExact(filled(9, 255), filled(9, 127)), outScale);
    int[] expected = filled(CHANNELS, exact);
    assertArrayEquals(
        expected,
        run(
            TestModels.worstCaseQdqConv(127, true, outScale),
            SessionOptions.Int8Arithmetic.HOST,
            true));
    assertArrayEquals(
        expected,
        run(
            TestModels.worstCaseQdqConv(127, true, outScale),
            SessionOptions.Int8Arithmetic.EXACT,
            true));
  }

  @Test
  void aModelAlreadyFusedToQLinearConvIsExactInExactModeAtEveryOptimizationLevel()
      throws Exception {
    // What edgeopt compile --target onnxruntime-* writes: QLinearConv with int8 weights.
    float outScale = 2.1f * CHANNELS / 255;
    Path fused = dir.resolve("fused.onnx");
    try (InferenceSession s =
        OrtRuntime.get()
            .open(
                TestModels.worstCaseQdqConv(127, false, outScale),
                SessionOptions.defaults()
                    .withInt8Arithmetic(SessionOptions.Int8Arithmetic.HOST)
                    .withOptimization(SessionOptions.Optimization.EXTENDED)
                    .savingOptimizedModel(fused))) {
      s.inputNames();
    }
    Graph g = OnnxModels.read(fused);
    int exact =
        requantize(PairSaturation.dotExact(filled(CHANNELS, 255), filled(CHANNELS, 127)), outScale);
    float[] x = new float[CHANNELS];
    Arrays.fill(x, 1f);
    for (SessionOptions.Optimization level : SessionOptions.Optimization.values()) {
      SessionOptions o = SessionOptions.defaults().withThreads(1).withOptimization(level);
      try (InferenceSession s = OrtRuntime.get().open(g, o)) {
        float y =
            s.run(Map.of("x", Tensor.ofFloats("x", new long[] {1, CHANNELS, 1, 1}, x)))
                .get("out")
                .toFloats()[0];
        assertArrayEquals(
            new int[] {exact}, new int[] {Math.round(y / outScale)}, "optimization " + level);
      }
    }
  }
}
