package org.edgeopt.validate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.edgeopt.core.cpu.HostCpu;
import org.edgeopt.core.graph.Attribute;
import org.edgeopt.core.graph.DataType;
import org.edgeopt.core.graph.Graph;
import org.edgeopt.core.graph.GraphBuilder;
import org.edgeopt.core.graph.Node;
import org.edgeopt.core.graph.Tensor;
import org.edgeopt.core.graph.TensorType;
import org.edgeopt.core.graph.Value;
import org.edgeopt.core.onnx.OnnxModels;
import org.edgeopt.core.runtime.SessionOptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Whose arithmetic a candidate runs with, decided for hosts described by their flags (no host dependence). */
class ArithmeticPlannerTest {
  static final HostCpu AVX2 = HostCpu.of("AMD EPYC 7601", "amd64", List.of("avx2", "fma", "f16c"));
  static final HostCpu VNNI =
      HostCpu.of("AMD EPYC 9R14", "amd64", List.of("avx2", "avx512bw", "avx512_vnni"));
  static final HostCpu ARM = HostCpu.of("Neoverse-N1", "aarch64", List.of("asimd", "asimddp"));

  @TempDir Path dir;

  /** A QDQ Gemm whose int8 weights are all {@code w}, stamped as quantized for {@code target}. */
  private Path gemm(String name, int w, String target) throws Exception {
    byte[] weights = new byte[12];
    Arrays.fill(weights, (byte) w);
    GraphBuilder b = new GraphBuilder("gemm", 13);
    b.addInput(new Value("x", TensorType.of(DataType.FLOAT, 1, 4)));
    b.addInitializer(Tensor.ofFloats("s", new long[0], new float[] {0.01f}));
    b.addInitializer(Tensor.ofBytes("zp", DataType.UINT8, new long[0], new byte[] {0}));
    b.addInitializer(Tensor.ofBytes("w_q", DataType.INT8, new long[] {3, 4}, weights));
    b.addInitializer(Tensor.ofBytes("w_zp", DataType.INT8, new long[0], new byte[] {0}));
    b.addNode(Node.of("q", "QuantizeLinear", List.of("x", "s", "zp"), List.of("xq")));
    b.addNode(Node.of("dq", "DequantizeLinear", List.of("xq", "s", "zp"), List.of("xd")));
    b.addNode(Node.of("dq_w", "DequantizeLinear", List.of("w_q", "s", "w_zp"), List.of("wd")));
    b.addNode(Node.of("fc", "Gemm", List.of("xd", "wd"), List.of("y"), Attribute.of("transB", 1L)));
    b.addOutput(new Value("y", TensorType.of(DataType.FLOAT, 1, 3)));
    Graph g = b.build();
    if (target != null) {
      g =
          g.toBuilder()
              .info(
                  g.info()
                      .withMetadata(
                          Map.of("edgeopt.quantize.config", "{\"target\":\"" + target + "\"}")))
              .build();
    }
    Path p = dir.resolve(name + ".onnx");
    OnnxModels.write(g, p);
    return p;
  }

  private ArithmeticPlanner.Plan plan(Path candidate, HostCpu host, ValidationConfig.Arithmetic a)
      throws Exception {
    return ArithmeticPlanner.plan(
        ValidationConfig.of(candidate, candidate, dir).withArithmetic(a), host);
  }

  @Test
  void aVnniModelOnAnAvx2HostIsEmulatedAndTheMismatchIsNamed() throws Exception {
    ArithmeticPlanner.Plan p =
        plan(gemm("vnni", 127, "onnxruntime-x86-vnni"), AVX2, ValidationConfig.Arithmetic.TARGET);
    assertEquals(SessionOptions.Int8Arithmetic.EXACT, p.session());
    ValidationReport.Arithmetic a = p.section();
    assertEquals(ArithmeticPlanner.EMULATED, a.figures());
    assertEquals("onnxruntime-x86-vnni", a.target());
    assertEquals("candidate metadata", a.targetSource());
    assertEquals(64_770, a.worstCasePairSum());
    assertTrue(
        a.mismatch().contains("avx512_vnni") && a.mismatch().contains("emulated for the target"),
        a.mismatch());
    assertEquals("x86_saturating_pairs", a.hostInt8Kernel());
  }

  @Test
  void theSameModelOnAVnniHostRunsNativelyWithoutMismatch() throws Exception {
    ArithmeticPlanner.Plan p =
        plan(gemm("vnni", 127, "onnxruntime-x86-vnni"), VNNI, ValidationConfig.Arithmetic.TARGET);
    assertEquals(SessionOptions.Int8Arithmetic.HOST, p.session());
    assertEquals(ArithmeticPlanner.NATIVE, p.section().figures());
    assertEquals("", p.section().mismatch());
  }

  @Test
  void hostArithmeticOnAnAvx2HostSaysTheFiguresDifferFromTheTargets() throws Exception {
    ArithmeticPlanner.Plan p =
        plan(gemm("vnni", 127, "onnxruntime-x86-vnni"), AVX2, ValidationConfig.Arithmetic.HOST);
    assertEquals(SessionOptions.Int8Arithmetic.HOST, p.session());
    assertEquals(ArithmeticPlanner.HOST_ONLY, p.section().figures());
    assertTrue(p.section().mismatch().contains("DIFFER"), p.section().mismatch());
  }

  @Test
  void aPortableModelIsNativeAndExactOnEveryHost() throws Exception {
    Path portable = gemm("portable", 64, "onnxruntime-cpu");
    for (HostCpu host : List.of(AVX2, VNNI, ARM)) {
      ArithmeticPlanner.Plan p = plan(portable, host, ValidationConfig.Arithmetic.TARGET);
      assertEquals(SessionOptions.Int8Arithmetic.HOST, p.session(), host.model());
      assertEquals(ArithmeticPlanner.NATIVE, p.section().figures(), host.model());
      assertEquals("", p.section().mismatch(), host.model());
      assertEquals(32_640, p.section().worstCasePairSum());
    }
  }

  @Test
  void anAcceleratorTargetIsEmulatedOnAvx2WithoutACpuMismatch() throws Exception {
    ArithmeticPlanner.Plan p =
        plan(gemm("tpu", 127, "edgetpu"), AVX2, ValidationConfig.Arithmetic.TARGET);
    assertEquals(ArithmeticPlanner.EMULATED, p.section().figures());
    assertEquals(SessionOptions.Int8Arithmetic.EXACT, p.session());
    assertTrue(
        p.section().mismatch().startsWith("host AMD EPYC 7601: its kernels clamp"),
        p.section().mismatch());
  }

  @Test
  void anUnstampedModelTakesTheGivenTargetOrThePortableDefault() throws Exception {
    Path plain = gemm("plain", 127, null);
    ArithmeticPlanner.Plan p = plan(plain, VNNI, ValidationConfig.Arithmetic.TARGET);
    assertEquals("onnxruntime-cpu", p.section().target());
    assertEquals("default", p.section().targetSource());
    ArithmeticPlanner.Plan q =
        ArithmeticPlanner.plan(
            ValidationConfig.of(plain, plain, dir).withTarget("onnxruntime-arm64"), VNNI);
    assertEquals("onnxruntime-arm64", q.section().target());
    assertEquals("--target", q.section().targetSource());
    assertTrue(q.section().mismatch().contains("aarch64"), q.section().mismatch());
  }

  @Test
  void aFloatCandidateHasNothingToEmulate() throws Exception {
    Path fp32 = dir.resolve("fp32.onnx");
    OnnxModels.write(org.edgeopt.core.testing.TestModels.smallCnn(13), fp32);
    ArithmeticPlanner.Plan p = plan(fp32, AVX2, ValidationConfig.Arithmetic.TARGET);
    assertEquals(ArithmeticPlanner.NATIVE, p.section().figures());
    assertEquals(0, p.section().int8Layers());
  }

  @Test
  void aTfliteCandidatesLatencyIsSaidToBeTheHostsInterpreterNotTheDevice() throws Exception {
    Path fp32 = dir.resolve("fp32.onnx");
    OnnxModels.write(org.edgeopt.core.testing.TestModels.smallCnn(13), fp32);
    ValidationReport.Arithmetic a =
        ArithmeticPlanner.plan(ValidationConfig.of(fp32, fp32, dir).withTarget("edgetpu"), AVX2)
            .section();
    ValidationReport.Latency l =
        new ValidationReport.Latency(
            100, 10, 1, stats("onnxruntime-1.29.0"), stats("tflite-2.18.0 (1 thread)"), 0.41);
    String note = ArithmeticPlanner.withLatency(a, l).latencyNote();
    assertTrue(
        note.startsWith(
            "the candidate ran 0.41x the reference in the TFLite interpreter on this host's CPU"
                + " (tflite-2.18.0 (1 thread)), not on edgetpu"),
        note);
    // An ONNX float candidate has no INT8 layers and gets no note.
    ValidationReport.Latency onnx =
        new ValidationReport.Latency(
            100, 10, 1, stats("onnxruntime-1.29.0"), stats("onnxruntime-1.29.0"), 1.0);
    assertEquals("", ArithmeticPlanner.withLatency(a, onnx).latencyNote());
  }

  private static ValidationReport.LatencyStats stats(String runtime) {
    return new ValidationReport.LatencyStats(runtime, 1, 1, 1, 1, 1, 1, 1000, List.of(1.0));
  }
}
