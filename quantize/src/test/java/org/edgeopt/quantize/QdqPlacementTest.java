package org.edgeopt.quantize;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.edgeopt.calibrate.Calibration;
import org.edgeopt.calibrate.CalibrationConfig;
import org.edgeopt.calibrate.CalibrationMethod;
import org.edgeopt.core.EdgeoptException;
import org.edgeopt.core.ExitCode;
import org.edgeopt.core.data.Dataset;
import org.edgeopt.core.data.Datasets;
import org.edgeopt.core.data.Preprocessing;
import org.edgeopt.core.graph.Attribute;
import org.edgeopt.core.graph.DataType;
import org.edgeopt.core.graph.Graph;
import org.edgeopt.core.graph.GraphBuilder;
import org.edgeopt.core.graph.Node;
import org.edgeopt.core.graph.Tensor;
import org.edgeopt.core.graph.TensorType;
import org.edgeopt.core.graph.Value;
import org.edgeopt.core.onnx.OnnxChecker;
import org.edgeopt.core.onnx.OnnxModels;
import org.edgeopt.core.quant.CalibrationTable;
import org.edgeopt.core.quant.QuantParams;
import org.edgeopt.core.runtime.InferenceSession;
import org.edgeopt.core.runtime.OrtRuntime;
import org.edgeopt.core.runtime.SessionOptions;
import org.edgeopt.core.targets.TargetProfile;
import org.edgeopt.core.targets.TargetProfiles;
import org.edgeopt.core.testing.TestModels;
import org.edgeopt.samples.SampleModel;
import org.edgeopt.samples.SampleModels;
import org.junit.jupiter.api.Test;

/**
 * The QDQ placement a target profile selects: {@code runtime-patterns} (ONNX Runtime's fusable
 * patterns, every shipped profile but one) and {@code fully-int8} (the edgetpu profile), on small
 * graphs calibrated with min/max over seeded random inputs.
 */
class QdqPlacementTest {
  private static final long[] SHAPE = {1, 3, 8, 8};

  /** x -> Relu -> MaxPool -> Conv -> y: the graph input and the Relu before any layer. */
  private static Graph reluPoolConv() throws Exception {
    GraphBuilder b = new GraphBuilder("relu_pool_conv", 13);
    b.addInput(new Value("x", TensorType.of(DataType.FLOAT, SHAPE)));
    b.add("Relu", "relu", List.of("x"), List.of("r"));
    b.add(
        "MaxPool",
        "pool",
        List.of("r"),
        List.of("p"),
        Attribute.of("kernel_shape", new long[] {2, 2}),
        Attribute.of("strides", new long[] {2, 2}));
    b.addInitializer(
        Tensor.ofFloats("w", new long[] {4, 3, 3, 3}, TestModels.random(11, 108, 0.5f)));
    b.addInitializer(Tensor.ofFloats("b", new long[] {4}, TestModels.random(12, 4, 0.1f)));
    b.add(
        "Conv",
        "conv",
        List.of("p", "w", "b"),
        List.of("y"),
        Attribute.of("kernel_shape", new long[] {3, 3}),
        Attribute.of("pads", new long[] {1, 1, 1, 1}));
    b.addOutput(new Value("y", TensorType.of(DataType.FLOAT, 1, 4, 4, 4)));
    return b.build();
  }

  private static List<Tensor> inputs(long[] shape) {
    int n = 1;
    for (long d : shape) {
      n *= (int) d;
    }
    List<Tensor> in = new java.util.ArrayList<>();
    for (int i = 0; i < 6; i++) {
      in.add(Tensor.ofFloats("x", shape, TestModels.random(100 + i, n, 2f)));
    }
    return in;
  }

  private static QdqQuantizer.Result quantize(Graph fp32, CalibrationTable t, QuantizeConfig c)
      throws Exception {
    QdqQuantizer.Result r = QdqQuantizer.quantize(fp32, t, c, fp32.name(), "table");
    OnnxChecker.check(r.graph(), "quantized " + fp32.name());
    return r;
  }

  private static QuantizeConfig edgeTpu() throws EdgeoptException {
    return QuantizeConfig.forTarget(TargetProfiles.get("edgetpu"));
  }

  /** Returns the QuantizeLinear that reads a tensor (or the float value a graph output was renamed to). */
  private static Optional<Node> quantizerOf(Graph g, String tensor) {
    return g.nodes().stream()
        .filter(n -> n.opType().equals("QuantizeLinear"))
        .filter(n -> n.input(0).equals(tensor) || n.input(0).equals(tensor + "_float"))
        .findFirst();
  }

  private static QuantParams paramsOf(Graph g, Node q) {
    return new QuantParams(
        g.initializers().get(q.input(1)).toFloats(),
        new long[] {(long) g.initializers().get(q.input(2)).toFloats()[0]},
        -1,
        g.initializers().get(q.input(2)).dataType());
  }

  @Test
  void fullyInt8QuantizesEveryTensorFromTheGraphInputOn() throws Exception {
    Graph fp32 = reluPoolConv();
    CalibrationTable table = MinMaxCalibration.collect(fp32, inputs(SHAPE).iterator());
    QuantizeConfig tpu = edgeTpu();
    assertEquals(QdqPlacement.FULLY_INT8, tpu.placement());
    Graph g = quantize(fp32, table, tpu).graph();
    for (String t : List.of("x", "r", "p", "y")) {
      assertTrue(quantizerOf(g, t).isPresent(), "tensor '" + t + "' gets a QuantizeLinear");
    }
    // Every operator reads a DequantizeLinear: nothing runs in float.
    for (String name : List.of("relu", "pool", "conv")) {
      Node n = g.node(name).orElseThrow();
      assertEquals("DequantizeLinear", g.producer(n.input(0)).orElseThrow().opType(), name);
    }
    // The graph input's parameters come from the calibration table's range.
    assertEquals(
        QuantParams.asymmetric(table.range("x").min(), table.range("x").max(), DataType.INT8),
        paramsOf(g, quantizerOf(g, "x").orElseThrow()));
    // MaxPool moves values: its output keeps its input's parameters (no requantization).
    assertEquals(
        paramsOf(g, quantizerOf(g, "r").orElseThrow()),
        paramsOf(g, quantizerOf(g, "p").orElseThrow()));
    // Tolerance: four int8 roundings of values spanning [-2, 2] keep the output SQNR above 30 dB.
    assertTrue(sqnrDb(fp32, g, inputs(SHAPE).get(0)) > 30, "QDQ output close to FP32");
  }

  @Test
  void theDefaultPlacementLeavesTheGraphInputAndReluFloat() throws Exception {
    Graph fp32 = reluPoolConv();
    CalibrationTable table = MinMaxCalibration.collect(fp32, inputs(SHAPE).iterator());
    QuantizeConfig cpu = QuantizeConfig.defaults();
    assertEquals(QdqPlacement.RUNTIME_PATTERNS, cpu.placement());
    Graph g = quantize(fp32, table, cpu).graph();
    assertFalse(quantizerOf(g, "x").isPresent(), "the graph input stays float");
    assertFalse(quantizerOf(g, "r").isPresent(), "the Relu output stays float");
    assertEquals("x", g.node("relu").orElseThrow().input(0));
    assertEquals("r", g.node("pool").orElseThrow().input(0), "MaxPool reads float");
    assertTrue(quantizerOf(g, "p").isPresent(), "the Conv's input is quantized");
    // The same placement for the edgetpu profile's other settings: only the placement differs.
    Graph portable =
        quantize(fp32, table, edgeTpu().withPlacement(QdqPlacement.RUNTIME_PATTERNS)).graph();
    assertFalse(quantizerOf(portable, "x").isPresent());
  }

  @Test
  void fullyInt8GivesSoftmaxSubPadAndPoolingTheParametersTfliteTakes() throws Exception {
    long[] shape = {1, 2, 4, 4};
    GraphBuilder b = new GraphBuilder("data_movement", 13);
    b.addInput(new Value("x", TensorType.of(DataType.FLOAT, shape)));
    b.addInitializer(Tensor.ofFloats("k", new long[] {2, 1, 1}, new float[] {0.5f, -1f}));
    b.add("Sub", "sub", List.of("x", "k"), List.of("s"));
    b.addInitializer(Tensor.ofLongs("pads", new long[] {8}, new long[] {0, 0, 1, 1, 0, 0, 1, 1}));
    b.add("Pad", "pad", List.of("s", "pads"), List.of("d"));
    b.add(
        "AveragePool",
        "avg",
        List.of("d"),
        List.of("a"),
        Attribute.of("kernel_shape", new long[] {2, 2}),
        Attribute.of("strides", new long[] {2, 2}));
    b.add("Flatten", "flat", List.of("a"), List.of("f"), Attribute.of("axis", 1L));
    b.add("Softmax", "softmax", List.of("f"), List.of("y"), Attribute.of("axis", 1L));
    b.addOutput(new Value("y", TensorType.of(DataType.FLOAT, 1, 18)));
    Graph fp32 = b.build();
    CalibrationTable table = MinMaxCalibration.collect(fp32, inputs(shape).iterator());
    Graph g = quantize(fp32, table, edgeTpu()).graph();
    QuantParams s = paramsOf(g, quantizerOf(g, "s").orElseThrow());
    for (String moved : List.of("d", "a", "f")) {
      assertEquals(s, paramsOf(g, quantizerOf(g, moved).orElseThrow()), moved + " keeps s's");
    }
    assertEquals(
        new QuantParams(new float[] {1f / 256f}, new long[] {-128}, -1, DataType.INT8),
        paramsOf(g, quantizerOf(g, "y").orElseThrow()),
        "TFLite's int8 SOFTMAX writes scale 1/256, zero point -128");
    Node sub = g.node("sub").orElseThrow();
    assertEquals("DequantizeLinear", g.producer(sub.input(1)).orElseThrow().opType());
    // The default placement leaves Sub and Softmax float (ONNX Runtime has no integer kernel for
    // them), and with them the AveragePool that only Softmax reads (FloatHeadPoolTest).
    Graph cpu = quantize(fp32, table, QuantizeConfig.defaults()).graph();
    assertEquals(List.of("x", "k"), cpu.node("sub").orElseThrow().inputs());
    assertFalse(quantizerOf(cpu, "s").isPresent());
    assertFalse(quantizerOf(cpu, "y").isPresent());
    assertFalse(quantizerOf(cpu, "a").isPresent());
  }

  @Test
  void modelsInsideTheRuntimePatternsGetTheSameQdqModelUnderBothPlacements() throws Exception {
    // A CNN that starts with a convolution and whose every operator is in ONNX Runtime's patterns:
    // the small test CNN (Conv, BatchNormalization, ReLU, depthwise Conv, Clip, Add,
    // GlobalAveragePool, Flatten, Gemm) and the bundled Fashion-MNIST sample.
    Graph cnn = TestModels.smallCnn(13);
    CalibrationTable cnnTable =
        MinMaxCalibration.collect(cnn, List.of(TestModels.smallCnnInput(5, 8)).iterator());
    SampleModel s = SampleModels.fashionMnist();
    Graph fashion = OnnxModels.read(s.model());
    Preprocessing pre = Preprocessing.parse(s.preprocess());
    Dataset images = Datasets.open(s.calibration().images(), pre, s.classNames(), null);
    CalibrationTable fashionTable =
        Calibration.calibrate(
            fashion, images, CalibrationConfig.of(CalibrationMethod.MINMAX).withSamples(64));
    for (Map.Entry<Graph, CalibrationTable> m :
        Map.of(cnn, cnnTable, fashion, fashionTable).entrySet()) {
      QuantizeConfig fully = edgeTpu();
      QuantizeConfig patterns = fully.withPlacement(QdqPlacement.RUNTIME_PATTERNS);
      byte[] a = OnnxModels.toBytes(quantize(m.getKey(), m.getValue(), fully).graph());
      byte[] b = OnnxModels.toBytes(quantize(m.getKey(), m.getValue(), patterns).graph());
      assertArrayEquals(b, a, m.getKey().name());
    }
  }

  @Test
  void profilesSelectThePlacementAndAnUnknownOneIsNamed() throws Exception {
    for (String p : TargetProfiles.builtIn().keySet()) {
      QuantizeConfig c = QuantizeConfig.forTarget(TargetProfiles.get(p));
      assertEquals(
          p.equals("edgetpu") ? QdqPlacement.FULLY_INT8 : QdqPlacement.RUNTIME_PATTERNS,
          c.placement(),
          p);
      assertEquals(p.equals("edgetpu") ? "fully-int8" : null, c.describe().get("placement"), p);
    }
    TargetProfile tpu = TargetProfiles.get("edgetpu");
    TargetProfile bad = withPlacement(tpu, "int8-everywhere");
    EdgeoptException e = assertThrows(EdgeoptException.class, () -> QuantizeConfig.forTarget(bad));
    assertEquals(ExitCode.INVALID_INPUT, e.exitCode());
    assertEquals(
        "target profile 'edgetpu': expected qdqPlacement runtime-patterns or fully-int8,"
            + " found 'int8-everywhere'",
        e.getMessage());
  }

  private static TargetProfile withPlacement(TargetProfile p, String placement) {
    return p.withQdqPlacement(placement);
  }

  private static double sqnrDb(Graph fp32, Graph qdq, Tensor x) throws Exception {
    SessionOptions o = SessionOptions.defaults().withThreads(1);
    float[] want;
    float[] got;
    try (InferenceSession s = OrtRuntime.get().open(fp32, o)) {
      want = s.run(Map.of("x", x)).get("y").toFloats();
    }
    try (InferenceSession s = OrtRuntime.get().open(qdq, o)) {
      got = s.run(Map.of("x", x)).get("y").toFloats();
    }
    double signal = 0;
    double noise = 0;
    for (int i = 0; i < want.length; i++) {
      signal += (double) want[i] * want[i];
      noise += (double) (want[i] - got[i]) * (want[i] - got[i]);
    }
    return 10 * Math.log10(signal / noise);
  }
}
