package org.edgeopt.quantize;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.edgeopt.core.graph.DataType;
import org.edgeopt.core.graph.Graph;
import org.edgeopt.core.graph.GraphBuilder;
import org.edgeopt.core.graph.Node;
import org.edgeopt.core.graph.Tensor;
import org.edgeopt.core.graph.TensorType;
import org.edgeopt.core.graph.Value;
import org.edgeopt.core.onnx.OnnxChecker;
import org.edgeopt.core.quant.CalibrationTable;
import org.edgeopt.core.runtime.InferenceSession;
import org.edgeopt.core.runtime.OrtRuntime;
import org.edgeopt.core.runtime.SessionOptions;
import org.edgeopt.core.targets.TargetProfiles;
import org.edgeopt.core.testing.TestModels;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** QDQ placement on the generated small CNN: checker, structure, ONNX Runtime fusion and numbers. */
class QdqQuantizerTest {
  /** The quantized logits must stay this close to FP32 (SQNR in dB; measured 47 dB on held-out inputs). */
  static final double MIN_LOGIT_SQNR_DB = 35;

  static Graph fp32;
  static CalibrationTable table;
  @TempDir Path tmp;

  @BeforeAll
  static void calibrate() throws Exception {
    fp32 = TestModels.smallCnn(13);
    table = MinMaxCalibration.collect(fp32, calibrationBatches().iterator());
  }

  static List<Tensor> calibrationBatches() {
    List<Tensor> batches = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      batches.add(TestModels.smallCnnInput(100 + i, 16));
    }
    return batches;
  }

  private static QdqQuantizer.Result quantize(QuantizeConfig c) throws Exception {
    return QdqQuantizer.quantize(fp32, table, c, "small_cnn", "table");
  }

  @Test
  void everyConvGemmAddAndPoolBecomesAnIntegerKernelInOnnxRuntime() throws Exception {
    QdqQuantizer.Result r = quantize(QuantizeConfig.defaults());
    OnnxChecker.check(r.graph(), "quantized small_cnn");
    Map<String, Integer> ops = OrtGraphs.optimizedOps(r.graph(), tmp.resolve("opt.onnx"));
    assertEquals(2, ops.getOrDefault("QLinearConv", 0), ops.toString());
    assertEquals(0, ops.getOrDefault("Conv", 0), ops.toString());
    assertEquals(1, ops.getOrDefault("QGemm", 0), ops.toString());
    assertEquals(1, ops.getOrDefault("QLinearAdd", 0), ops.toString());
    assertEquals(1, ops.getOrDefault("QLinearGlobalAveragePool", 0), ops.toString());
    assertTrue(r.layers().stream().allMatch(QdqQuantizer.Layer::quantized), r.layers().toString());
  }

  @Test
  void reluAndClipAreFoldedIntoTheConvOutputRange() throws Exception {
    QdqQuantizer.Result r = quantize(QuantizeConfig.defaults());
    assertFalse(r.graph().opHistogram().containsKey("Relu"));
    assertFalse(r.graph().opHistogram().containsKey("Clip"));
    QdqQuantizer.Layer conv1 = layer(r, "conv1");
    assertEquals("relu1", conv1.foldedActivation());
    assertEquals(0L, conv1.zeroPoint(), "uint8 zero point at 0: the quantizer's floor is the ReLU");
    QdqQuantizer.Layer dw = layer(r, "dw");
    assertEquals("clip", dw.foldedActivation());
    assertTrue(dw.scale() * 255 <= 6f * (1 + 1e-5f), "the Clip's ceiling of 6 still holds");
    assertTrue(
        r.changes().contains("folded BatchNormalization 'bn1' into Conv 'conv1'"),
        r.changes().toString());
  }

  @Test
  void weightsAreInt8PerChannelAndBiasesInt32AtInputTimesWeightScale() throws Exception {
    QdqQuantizer.Result r = quantize(QuantizeConfig.defaults());
    Graph g = r.graph();
    Node conv = g.node("conv1").orElseThrow();
    Node wdq = g.producer(conv.input(1)).orElseThrow();
    assertEquals("DequantizeLinear", wdq.opType());
    assertEquals(0, wdq.intAttr("axis", -1));
    Tensor wq = g.initializers().get(wdq.input(0));
    assertEquals(DataType.INT8, wq.dataType());
    assertArrayEquals(new long[] {4, 1, 3, 3}, wq.dims());
    Tensor ws = g.initializers().get(wdq.input(1));
    assertArrayEquals(new long[] {4}, ws.dims());
    Tensor wz = g.initializers().get(wdq.input(2));
    assertEquals(DataType.INT8, wz.dataType());
    assertArrayEquals(new float[] {0, 0, 0, 0}, wz.toFloats());
    Node xdq = g.producer(conv.input(0)).orElseThrow();
    float xs = g.initializers().get(xdq.input(1)).toFloats()[0];
    Node bdq = g.producer(conv.input(2)).orElseThrow();
    Tensor bq = g.initializers().get(bdq.input(0));
    assertEquals(DataType.INT32, bq.dataType());
    float[] bs = g.initializers().get(bdq.input(1)).toFloats();
    float[] w = ws.toFloats();
    for (int c = 0; c < 4; c++) {
      assertEquals(xs * w[c], bs[c], 0f, "bias scale of channel " + c);
    }
    Node gemm = g.node("fc").orElseThrow();
    Node gdq = g.producer(gemm.input(1)).orElseThrow();
    assertEquals(0, gdq.intAttr("axis", -1), "transB=1: one scale per row of B");
    assertEquals(1f, gemm.floatAttr("beta", 0f));
  }

  @Test
  void everyConsumerReadsItsOwnDequantizeLinear() throws Exception {
    Graph g = quantize(QuantizeConfig.defaults()).graph();
    Map<String, List<Node>> consumers = g.consumers();
    for (Node n : g.nodes()) {
      if (n.opType().equals("DequantizeLinear")) {
        assertEquals(
            1,
            consumers.getOrDefault(n.output(), List.of()).size() + (g.isOutput(n.output()) ? 1 : 0),
            n.describe() + " feeds exactly one node");
      }
    }
    // r1 feeds the depthwise Conv and the residual Add: one Q, two DQs.
    long dqOfR1 =
        g.nodes().stream()
            .filter(n -> n.opType().equals("DequantizeLinear") && n.input(0).equals("r1_quantized"))
            .count();
    assertEquals(2, dqOfR1);
  }

  @Test
  void quantizedLogitsStayCloseToFp32() throws Exception {
    Graph q = quantize(QuantizeConfig.defaults()).graph();
    double sqnr = logitSqnr(q);
    assertTrue(
        sqnr >= MIN_LOGIT_SQNR_DB, "logit SQNR " + sqnr + " dB, expected >= " + MIN_LOGIT_SQNR_DB);
  }

  static double logitSqnr(Graph q) throws Exception {
    Tensor x = TestModels.smallCnnInput(999, 64);
    try (InferenceSession f = OrtRuntime.get().open(fp32, SessionOptions.defaults());
        InferenceSession s = OrtRuntime.get().open(q, SessionOptions.defaults())) {
      float[] a = f.run(Map.of("input", x)).get("logits").toFloats();
      float[] b = s.run(Map.of("input", x)).get("logits").toFloats();
      return SqnrProbe.sqnrDb(a, b);
    }
  }

  @Test
  void excludedNodesStayFloatAndTheRestStillFuses() throws Exception {
    QdqQuantizer.Result r = quantize(QuantizeConfig.defaults().withExclude(Set.of("dw")));
    OnnxChecker.check(r.graph(), "quantized small_cnn");
    QdqQuantizer.Layer dw = layer(r, "dw");
    assertFalse(dw.quantized());
    assertEquals("excluded (--exclude)", dw.reason());
    Node conv = r.graph().node("dw").orElseThrow();
    assertEquals("dw.w", conv.input(1), "float weights, no DequantizeLinear");
    assertTrue(r.graph().opHistogram().containsKey("Clip"), "nothing folded into a float layer");
    Map<String, Integer> ops = OrtGraphs.optimizedOps(r.graph(), tmp.resolve("opt.onnx"));
    assertEquals(1, ops.getOrDefault("QLinearConv", 0), ops.toString());
    assertEquals(1, ops.getOrDefault("Conv", 0), ops.toString());
    assertTrue(logitSqnr(r.graph()) >= MIN_LOGIT_SQNR_DB);
  }

  @Test
  void symmetricInt8ActivationsForTensorRt() throws Exception {
    QuantizeConfig trt = QuantizeConfig.forTarget(TargetProfiles.get("tensorrt-ampere"));
    assertEquals(DataType.INT8, trt.activationType());
    assertTrue(trt.symmetricActivations());
    QdqQuantizer.Result r = quantize(trt);
    OnnxChecker.check(r.graph(), "quantized small_cnn");
    for (Node n : r.graph().nodes()) {
      if (n.opType().equals("QuantizeLinear")) {
        Tensor zp = r.graph().initializers().get(n.input(2));
        assertEquals(DataType.INT8, zp.dataType(), n.describe());
        assertEquals(0f, zp.toFloats()[0], n.describe() + " zero point");
      }
    }
    assertNotNull(
        r.graph().node("relu1").orElse(null), "ReLU is not folded when zero points are 0");
    assertTrue(logitSqnr(r.graph()) >= MIN_LOGIT_SQNR_DB - 5);
  }

  @Test
  void edgeTpuGetsPerTensorFullyConnectedWeightsAndQuantizedOutputs() throws Exception {
    QuantizeConfig tpu = QuantizeConfig.forTarget(TargetProfiles.get("edgetpu"));
    assertEquals(Set.of("Gemm", "MatMul"), tpu.perTensorWeightOps());
    assertTrue(tpu.quantizeOutputs());
    Graph g = quantize(tpu).graph();
    OnnxChecker.check(g, "quantized small_cnn");
    Node gemm = g.node("fc").orElseThrow();
    Node wdq = g.producer(gemm.input(1)).orElseThrow();
    assertEquals(-1, wdq.intAttr("axis", -1), "TFLite's FULLY_CONNECTED takes one weight scale");
    assertEquals(1, g.initializers().get(wdq.input(1)).elementCount());
    Node conv = g.node("conv1").orElseThrow();
    assertEquals(
        0,
        g.producer(conv.input(1)).orElseThrow().intAttr("axis", -1),
        "convolutions stay per channel");
    // The logits leave the model through a QuantizeLinear/DequantizeLinear pair, as int8 on the
    // device.
    Node out = g.producer("logits").orElseThrow();
    assertEquals("DequantizeLinear", out.opType());
    assertEquals("QuantizeLinear", g.producer(out.input(0)).orElseThrow().opType());
    // The pooled output's scale keeps the input zero point whole in output steps (see
    // QdqParams.meanOutput).
    Node gap = g.node("gap").orElseThrow();
    Node in = g.producer(gap.input(0)).orElseThrow();
    Node q =
        g.nodes().stream()
            .filter(n -> n.opType().equals("QuantizeLinear") && n.input(0).equals("g1"))
            .findFirst()
            .orElseThrow();
    double zpTimesRatio =
        g.initializers().get(in.input(2)).toFloats()[0]
            * g.initializers().get(in.input(1)).toFloats()[0]
            / g.initializers().get(q.input(1)).toFloats()[0];
    assertEquals(Math.rint(zpTimesRatio), zpTimesRatio, 1e-3);
    assertTrue(logitSqnr(g) >= MIN_LOGIT_SQNR_DB - 5);
  }

  @Test
  void firstConvolutionIsPaddedToFourChannelsWithoutChangingAnyOutput() throws Exception {
    QuantizeConfig ort = QuantizeConfig.forTarget(TargetProfiles.get("onnxruntime-cpu"));
    assertEquals(4, ort.convInputChannelMultiple());
    Graph plain = quantize(ort).graph();
    ChannelPadding.Result r = ChannelPadding.apply(plain, ort.convInputChannelMultiple());
    assertEquals(1, r.changes().size(), r.changes().toString());
    assertTrue(r.changes().get(0).startsWith("conv1: input channels 1 -> 4"), r.changes().get(0));
    Graph g = r.graph();
    OnnxChecker.check(g, "padded small_cnn");
    Node conv = g.node("conv1").orElseThrow();
    Tensor w = g.initializers().get(g.producer(conv.input(1)).orElseThrow().input(0));
    assertArrayEquals(new long[] {4, 4, 3, 3}, w.dims());
    Node pad = g.producer(g.producer(conv.input(0)).orElseThrow().input(0)).orElseThrow();
    assertEquals("Pad", pad.opType());
    // The depthwise convolution (group 4) is left alone, and ONNX Runtime still fuses both into
    // integer kernels.
    assertEquals(1, g.nodes().stream().filter(n -> n.opType().equals("Pad")).count());
    Map<String, Integer> ops = OrtGraphs.optimizedOps(g, tmp.resolve("padded.opt.onnx"));
    assertEquals(2, ops.getOrDefault("QLinearConv", 0), ops.toString());
    // Zero weights and the zero point as padding: every output is the same, bit for bit.
    try (InferenceSession a =
            OrtRuntime.get().open(plain, SessionOptions.defaults().withThreads(1));
        InferenceSession b = OrtRuntime.get().open(g, SessionOptions.defaults().withThreads(1))) {
      Tensor x = TestModels.smallCnnInput(77, 8);
      assertArrayEquals(
          a.run(Map.of("input", x)).get("logits").toFloats(),
          b.run(Map.of("input", x)).get("logits").toFloats());
    }
    assertTrue(
        ChannelPadding.apply(plain, 0).changes().isEmpty(),
        "targets that do not ask are left alone");
  }

  @Test
  void onnxRuntimeDefaultProfileAsksForUint8() throws Exception {
    QuantizeConfig c = QuantizeConfig.forTarget(TargetProfiles.get("onnxruntime-cpu"));
    assertEquals(DataType.UINT8, c.activationType());
    assertFalse(c.symmetricActivations());
  }

  @Test
  void matMulOfARank3ActivationWithPerColumnWeightsRunsInOnnxRuntime() throws Exception {
    GraphBuilder b = new GraphBuilder("matmul3d", 13);
    b.addInput(new Value("x", TensorType.of(DataType.FLOAT, -1, 3, 4)));
    b.addInitializer(Tensor.ofFloats("w", new long[] {4, 5}, TestModels.random(21, 20, 1f)));
    b.add("MatMul", "mm", List.of("x", "w"), List.of("h"));
    b.add("Relu", "relu", List.of("h"), List.of("r"));
    b.addInitializer(Tensor.ofFloats("w2", new long[] {5, 2}, TestModels.random(22, 10, 1f)));
    b.add("MatMul", "mm2", List.of("r", "w2"), List.of("y"));
    b.addOutput(new Value("y", TensorType.of(DataType.FLOAT, -1, 3, 2)));
    Graph g = b.build();
    List<Tensor> batches = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      batches.add(Tensor.ofFloats("x", new long[] {8, 3, 4}, TestModels.random(30 + i, 96, 1f)));
    }
    CalibrationTable t = MinMaxCalibration.collect(g, batches.iterator());
    QdqQuantizer.Result r =
        QdqQuantizer.quantize(g, t, QuantizeConfig.defaults(), "matmul3d", "table");
    OnnxChecker.check(r.graph(), "quantized matmul3d");
    Node wdq = r.graph().producer(r.graph().node("mm").orElseThrow().input(1)).orElseThrow();
    assertEquals(1, wdq.intAttr("axis", -1), "one scale per output column");
    Map<String, Integer> ops = OrtGraphs.optimizedOps(r.graph(), tmp.resolve("mm.opt.onnx"));
    assertEquals(1, ops.getOrDefault("QLinearMatMul", 0), ops.toString());
    Tensor x = Tensor.ofFloats("x", new long[] {16, 3, 4}, TestModels.random(99, 192, 1f));
    try (InferenceSession f = OrtRuntime.get().open(g, SessionOptions.defaults());
        InferenceSession q = OrtRuntime.get().open(r.graph(), SessionOptions.defaults())) {
      double sqnr =
          SqnrProbe.sqnrDb(
              f.run(Map.of("x", x)).get("y").toFloats(), q.run(Map.of("x", x)).get("y").toFloats());
      assertTrue(sqnr >= MIN_LOGIT_SQNR_DB, "SQNR " + sqnr + " dB");
    }
  }

  static QdqQuantizer.Layer layer(QdqQuantizer.Result r, String name) {
    return r.layers().stream().filter(l -> l.node().equals(name)).findFirst().orElseThrow();
  }
}
