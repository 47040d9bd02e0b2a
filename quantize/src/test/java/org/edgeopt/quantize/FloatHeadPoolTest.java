package org.edgeopt.quantize;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
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
 * An average pool read only by a float layer (SqueezeNet's GlobalAveragePool -> Softmax head)
 * stays float: its input is dequantized, its output never rounded to 8 bits.
 */
class FloatHeadPoolTest {
  private static final int CLASSES = 16;

  /** Conv(4 -> 16, 1x1) -> Relu -> GlobalAveragePool -> {@code head} -> output. */
  static Graph head(String headOp) {
    GraphBuilder b = new GraphBuilder("pool_head", 13);
    b.addInput(new Value("x", TensorType.of(DataType.FLOAT, 1, 4, 6, 6)));
    b.addInitializer(
        Tensor.ofFloats("w", new long[] {CLASSES, 4, 1, 1}, random(1, CLASSES * 4, 1f)));
    b.addInitializer(Tensor.ofFloats("b", new long[] {CLASSES}, random(2, CLASSES, 0.2f)));
    b.add("Conv", "conv", List.of("x", "w", "b"), List.of("c"));
    b.add("Relu", "relu", List.of("c"), List.of("r"));
    b.add("GlobalAveragePool", "pool", List.of("r"), List.of("p"));
    if (headOp.equals("Softmax")) {
      b.add("Softmax", "softmax", List.of("p"), List.of("y"), Attribute.of("axis", 1L));
    } else if (headOp.equals("FlattenSoftmax")) {
      // As the ONNX version converter writes an opset-7 Softmax over [1, C, 1, 1].
      b.add("Flatten", "flatten", List.of("p"), List.of("f"), Attribute.of("axis", 1L));
      b.add("Softmax", "softmax", List.of("f"), List.of("s"), Attribute.of("axis", 1L));
      b.addInitializer(Tensor.ofLongs("shape", new long[] {4}, new long[] {1, CLASSES, 1, 1}));
      b.add("Reshape", "reshape", List.of("s", "shape"), List.of("y"));
    } else {
      b.addInitializer(Tensor.scalar("two", 2f));
      b.add("Mul", "scale", List.of("p", "two"), List.of("y"));
    }
    b.addOutput(new Value("y", TensorType.of(DataType.FLOAT, 1, CLASSES, 1, 1)));
    return b.build();
  }

  static float[] random(long seed, int n, float amplitude) {
    SplittableRandom r = new SplittableRandom(seed);
    float[] v = new float[n];
    for (int i = 0; i < n; i++) {
      v[i] = (float) ((r.nextDouble() * 2 - 1) * amplitude);
    }
    return v;
  }

  static List<Tensor> inputs(long seed, int count) {
    List<Tensor> out = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      out.add(Tensor.ofFloats("x", new long[] {1, 4, 6, 6}, random(seed + i, 144, 3f)));
    }
    return out;
  }

  @Test
  void aPoolReadOnlyBySoftmaxStaysFloatAndItsLogitsKeepTheirResolution() throws Exception {
    Graph fp32 = head("Softmax");
    CalibrationTable table = MinMaxCalibration.collect(fp32, inputs(100, 16).iterator());
    QdqQuantizer.Result r =
        QdqQuantizer.quantize(fp32, table, QuantizeConfig.defaults(), "pool_head", "table");
    QdqQuantizer.Layer pool =
        r.layers().stream().filter(l -> l.node().equals("pool")).findFirst().orElseThrow();
    assertFalse(pool.quantized());
    assertTrue(pool.reason().contains("read only by float layer Softmax 'softmax'"), pool.reason());
    assertTrue(
        r.layers().stream()
            .filter(l -> l.node().equals("conv"))
            .findFirst()
            .orElseThrow()
            .quantized());
    // The pool reads the dequantized conv output and writes Softmax's input directly.
    Node p =
        r.graph().nodes().stream().filter(n -> n.name().equals("pool")).findFirst().orElseThrow();
    assertEquals("DequantizeLinear", r.graph().producer(p.input(0)).orElseThrow().opType());
    assertEquals("Softmax", r.graph().consumers().get(p.output()).get(0).opType());
    // The pool averages the dequantized conv outputs in float: the INT8 softmax stays close to
    // FP32.
    double worst = 0;
    try (InferenceSession f = OrtRuntime.get().open(fp32, SessionOptions.defaults());
        InferenceSession q = OrtRuntime.get().open(r.graph(), SessionOptions.defaults())) {
      for (Tensor x : inputs(500, 8)) {
        float[] a = f.run(Map.of("x", x)).get("y").toFloats();
        float[] c = q.run(Map.of("x", x)).get("y").toFloats();
        for (int i = 0; i < a.length; i++) {
          worst = Math.max(worst, Math.abs(a[i] - c[i]));
        }
      }
    }
    assertTrue(worst < 0.02, "largest softmax difference " + worst);
  }

  @Test
  void aPoolReadBySoftmaxThroughFlattenStaysFloat() throws Exception {
    Graph fp32 = head("FlattenSoftmax");
    CalibrationTable table = MinMaxCalibration.collect(fp32, inputs(100, 16).iterator());
    QdqQuantizer.Result r =
        QdqQuantizer.quantize(fp32, table, QuantizeConfig.defaults(), "pool_head", "table");
    QdqQuantizer.Layer pool =
        r.layers().stream().filter(l -> l.node().equals("pool")).findFirst().orElseThrow();
    assertFalse(pool.quantized());
    assertTrue(pool.reason().contains("Softmax 'softmax'"), pool.reason());
    assertFalse(r.graph().opHistogram().containsKey("QuantizeLinear") && quantizes(r.graph(), "p"));
  }

  /** Returns whether a QuantizeLinear reads {@code tensor}. */
  private static boolean quantizes(Graph g, String tensor) {
    return g.consumers().getOrDefault(tensor, List.of()).stream()
        .anyMatch(n -> n.opType().equals("QuantizeLinear"));
  }

  @Test
  void aPoolReadByAnIntegerLayerStaysQuantized() throws Exception {
    Graph fp32 = head("Mul");
    CalibrationTable table = MinMaxCalibration.collect(fp32, inputs(100, 16).iterator());
    QdqQuantizer.Result r =
        QdqQuantizer.quantize(fp32, table, QuantizeConfig.defaults(), "pool_head", "table");
    assertTrue(
        r.layers().stream()
            .filter(l -> l.node().equals("pool"))
            .findFirst()
            .orElseThrow()
            .quantized());
  }
}
