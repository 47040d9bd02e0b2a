package org.edgeopt.compile.tflite;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.edgeopt.core.graph.Attribute;
import org.edgeopt.core.graph.DataType;
import org.edgeopt.core.graph.Graph;
import org.edgeopt.core.graph.GraphBuilder;
import org.edgeopt.core.graph.Shape;
import org.edgeopt.core.graph.Tensor;
import org.edgeopt.core.graph.TensorType;
import org.edgeopt.core.graph.Value;
import org.edgeopt.core.onnx.OnnxChecker;
import org.edgeopt.core.targets.TargetProfile;
import org.edgeopt.core.targets.TargetProfiles;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The Edge TPU rules, each broken by a model built for it, judged from the edgetpu profile's data. */
class EdgeTpuCompatibilityCheckerTest {
  private static TargetProfile edgetpu;

  @BeforeAll
  static void profile() throws Exception {
    edgetpu = TargetProfiles.get("edgetpu");
  }

  private static EdgeTpuCompatibilityReport check(Graph qdq) throws Exception {
    return EdgeTpuCompatibilityChecker.check(
        OnnxToTflite.lower(qdq, IoType.INT8, Map.of(), qdq.name()), edgetpu);
  }

  private static Graph quantized(GraphBuilder b, long[] calibrationShape) throws Exception {
    Graph g = OnnxChecker.inferShapes(b.build(), "test");
    List<Value> outs =
        g.outputs().stream().map(v -> new Value(v.name(), g.type(v.name()).orElseThrow())).toList();
    Graph typed = g.toBuilder().setOutputs(outs).build();
    return EdgeTpuQuantization.quantize(
        typed, TestGraphs.randomInputs("x", calibrationShape, 4, 5, 2f));
  }

  private static GraphBuilder convRelu(TensorType input, int channels) {
    GraphBuilder b = new GraphBuilder("t", 13);
    b.addInput(new Value("x", input));
    b.addInitializer(
        Tensor.ofFloats(
            "w",
            new long[] {4, channels, 1, 1},
            org.edgeopt.core.testing.TestModels.random(1, 4 * channels, 0.5f)));
    b.add(
        "Conv",
        "conv",
        List.of("x", "w"),
        List.of("c"),
        Attribute.of("kernel_shape", new long[] {1, 1}));
    b.add("Relu", "relu", List.of("c"), List.of("y"));
    b.addOutput(new Value("y", null));
    return b;
  }

  @Test
  void aQuantizedCnnMapsCompletely() throws Exception {
    Graph qdq =
        EdgeTpuQuantization.quantize(
            TestGraphs.smallCnn(),
            TestGraphs.randomInputs("input", new long[] {1, 1, 8, 8}, 4, 1, 2f));
    EdgeTpuCompatibilityReport r = check(qdq);
    assertTrue(r.compatible(), r.summary());
    assertEquals(6, r.onTpu());
    assertEquals(1.0, r.mappedFraction());
    assertNull(r.firstCpuOperator());
    assertTrue(r.findings().isEmpty(), r.findings().toString());
  }

  @Test
  void dynamicSpatialShapeFallsBack() throws Exception {
    TensorType dynamic =
        new TensorType(
            DataType.FLOAT,
            new Shape(
                List.of(
                    new Shape.Dim(1, null),
                    new Shape.Dim(2, null),
                    new Shape.Dim(-1, "h"),
                    new Shape.Dim(-1, "w"))));
    EdgeTpuCompatibilityReport r = check(quantized(convRelu(dynamic, 2), new long[] {1, 2, 6, 6}));
    assertFalse(r.compatible());
    EdgeTpuCompatibilityReport.Entry first = r.firstCpuOperator();
    assertEquals("CONV_2D", first.tfliteOp());
    assertTrue(
        first.reasons().get(0).startsWith("dynamic shape: tensor 'x'"), first.reasons().toString());
  }

  @Test
  void batchTwoFallsBack() throws Exception {
    EdgeTpuCompatibilityReport r =
        check(
            quantized(
                convRelu(TensorType.of(DataType.FLOAT, 2, 3, 4, 4), 3), new long[] {2, 3, 4, 4}));
    assertFalse(r.compatible());
    assertEquals(0, r.onTpu());
    assertTrue(
        r.firstCpuOperator().reasons().get(0).startsWith("batch 2: tensor 'x' [2, 4, 4, 3]"),
        r.firstCpuOperator().reasons().toString());
  }

  @Test
  void fourActiveDimensionsFallBack() throws Exception {
    GraphBuilder b = new GraphBuilder("t", 13);
    b.addInput(new Value("x", TensorType.of(DataType.FLOAT, 1, 2, 3, 4, 5)));
    b.add("Relu", "relu", List.of("x"), List.of("y"));
    b.addOutput(new Value("y", null));
    EdgeTpuCompatibilityReport r = check(quantized(b, new long[] {1, 2, 3, 4, 5}));
    assertFalse(r.compatible());
    assertEquals("RELU", r.firstCpuOperator().tfliteOp());
    assertTrue(
        r.firstCpuOperator()
            .reasons()
            .get(0)
            .startsWith(
                "too many active dimensions: tensor 'x'"
                    + " [1, 2, 3, 4, 5] has a dimension larger than 1 outside its 3 innermost"),
        r.firstCpuOperator().reasons().toString());
  }

  @Test
  void unsupportedLrnIsNamedWithEverythingAfterItOnTheCpu() throws Exception {
    GraphBuilder b = convRelu(TensorType.of(DataType.FLOAT, 1, 2, 6, 6), 2);
    b.setOutputs(List.of());
    b.add("LRN", "lrn", List.of("y"), List.of("n"), Attribute.of("size", 3L));
    b.add("Relu", "relu2", List.of("n"), List.of("z"));
    b.addOutput(new Value("z", null));
    EdgeTpuCompatibilityReport r = check(quantized(b, new long[] {1, 2, 6, 6}));
    assertFalse(r.compatible());
    assertEquals(1, r.onTpu(), "the Conv before the LRN maps");
    EdgeTpuCompatibilityReport.Entry first = r.firstCpuOperator();
    assertEquals("lrn", first.onnxNode());
    assertEquals("LRN", first.profileOp());
    assertEquals(
        "LRN is not in the edgetpu operator table: no LOCAL_RESPONSE_NORMALIZATION on the Edge TPU",
        first.reasons().get(0));
    EdgeTpuCompatibilityReport.Entry after = r.operators().get(r.operators().size() - 1);
    assertEquals("relu2", after.onnxNode());
    assertFalse(after.onTpu());
    assertTrue(
        r.summary().contains("(it and every operator after it run on the CPU)"), r.summary());
    assertTrue(r.toJson().contains("\"firstCpuOperator\""));
  }

  @Test
  void requantizationInsideTheGraphFallsBack() throws Exception {
    GraphBuilder b = new GraphBuilder("t", 13);
    b.addInput(new Value("x", TensorType.of(DataType.FLOAT, 1, 2, 4, 4)));
    b.add(
        "MaxPool",
        "pool",
        List.of("x"),
        List.of("y"),
        Attribute.of("kernel_shape", new long[] {2, 2}),
        Attribute.of("strides", new long[] {2, 2}));
    b.addOutput(new Value("y", null));
    Graph qdq = quantized(b, new long[] {1, 2, 4, 4});
    // Give the pooled output other parameters than its input, as a careless quantizer might.
    Graph skewed =
        qdq.toBuilder()
            .addInitializer(Tensor.ofFloats("y_scale", new long[0], new float[] {0.05f}))
            .build();
    OnnxToTflite.Result lowered = OnnxToTflite.lower(skewed, IoType.INT8, Map.of(), "t");
    assertEquals(
        List.of("MAX_POOL_2D", "QUANTIZE"),
        lowered.model().operators().stream().map(TfliteModel.Operator::name).toList());
    assertTrue(
        lowered.notes().stream().anyMatch(n -> n.contains("requantized")),
        lowered.notes().toString());
    EdgeTpuCompatibilityReport r = EdgeTpuCompatibilityChecker.check(lowered, edgetpu);
    assertEquals("QUANTIZE", r.firstCpuOperator().tfliteOp());
    assertTrue(
        r.firstCpuOperator().reasons().get(0).contains("requantization"),
        r.firstCpuOperator().reasons().toString());
  }

  @Test
  void floatTensorsAreNotFullyInt8() throws Exception {
    TfliteModel m = new TfliteModel();
    int x =
        m.addTensor(
            new TfliteModel.Tensor(
                "x",
                org.tensorflow.lite.schema.TensorType.FLOAT32,
                new int[] {1, 4},
                null,
                null,
                null));
    int y =
        m.addTensor(
            new TfliteModel.Tensor(
                "y",
                org.tensorflow.lite.schema.TensorType.FLOAT32,
                new int[] {1, 4},
                null,
                null,
                null));
    m.addInput(x);
    m.addOutput(y);
    m.addOperator(
        new TfliteModel.Operator(
            org.tensorflow.lite.schema.BuiltinOperator.RELU,
            1,
            new int[] {x},
            List.of(TfliteModel.Role.ACTIVATION),
            new int[] {y},
            new OpOptions.None(),
            "relu"));
    EdgeTpuCompatibilityReport r = EdgeTpuCompatibilityChecker.check(m, edgetpu);
    assertNotNull(r.firstCpuOperator());
    assertEquals(
        "not fully int8: tensor 'x' is FLOAT32 without quantization parameters",
        r.firstCpuOperator().reasons().get(0));
  }
}
