package org.edgeopt.ingest.pass;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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
import org.edgeopt.core.onnx.OnnxChecker;
import org.edgeopt.core.testing.TestModels;
import org.junit.jupiter.api.Test;

class Fp16UpcastTest {

  /** x(fp16) -> Conv -> Cast(fp32) -> Relu -> Cast(fp16) -> Add(Constant fp16) -> y(fp16). */
  static Graph fp16Model() {
    GraphBuilder b = new GraphBuilder("fp16", 13);
    b.addInput(new Value("x", TensorType.of(DataType.FLOAT16, 1, 2, 4, 4)));
    b.addInitializer(
        Tensor.ofFloat16("w", new long[] {3, 2, 3, 3}, TestModels.random(11, 54, 0.7f)));
    b.addInitializer(Tensor.ofFloat16("b", new long[] {3}, TestModels.random(12, 3, 0.2f)));
    b.add(
        "Conv",
        "conv",
        List.of("x", "w", "b"),
        List.of("c"),
        Attribute.of("pads", new long[] {1, 1, 1, 1}));
    b.add(
        "Cast",
        "to32",
        List.of("c"),
        List.of("cf"),
        Attribute.of("to", (long) DataType.FLOAT.onnxCode()));
    b.add("Relu", "relu", List.of("cf"), List.of("rf"));
    b.add(
        "Cast",
        "to16",
        List.of("rf"),
        List.of("r16"),
        Attribute.of("to", (long) DataType.FLOAT16.onnxCode()));
    b.add(
        "Constant",
        "k",
        List.of(),
        List.of("k16"),
        Attribute.of(
            "value",
            Tensor.ofFloat16("kv", new long[] {1, 3, 1, 1}, new float[] {0.5f, -0.25f, 1.125f})));
    b.add("Add", "add", List.of("r16", "k16"), List.of("y"));
    b.addOutput(new Value("y", TensorType.of(DataType.FLOAT16, 1, 3, 4, 4)));
    return b.build();
  }

  @Test
  void upcastIsExactAndLeavesNoFp16Behind() throws Exception {
    Graph g = fp16Model();
    PassResult r = new Fp16Upcast().apply(g, "fp16");
    assertTrue(r.changed());
    Graph u = r.graph();
    OnnxChecker.check(u, "upcast");
    for (Tensor t : u.initializers().values()) {
      assertEquals(DataType.FLOAT, t.dataType(), t.name());
      // Every half value is a float: the converted weights must equal the FP16 ones exactly.
      assertArrayEquals(g.initializers().get(t.name()).toFloats(), t.toFloats(), t.name());
    }
    assertEquals(DataType.FLOAT, u.inputs().get(0).type().dataType());
    assertEquals(DataType.FLOAT, u.outputs().get(0).type().dataType());
    for (Node n : u.nodes()) {
      assertFalse(
          n.attribute("to").map(a -> a.asLong() == DataType.FLOAT16.onnxCode()).orElse(false),
          n.describe());
      n.attribute("value").ifPresent(a -> assertEquals(DataType.FLOAT, a.asTensor().dataType()));
    }
    Graph again = OnnxChecker.inferShapes(u, "upcast");
    again
        .valueInfo()
        .values()
        .forEach(v -> assertEquals(DataType.FLOAT, v.type().dataType(), v.name()));
  }

  @Test
  void upcastModelComputesWhatTheFp16ModelComputes() throws Exception {
    Graph g = fp16Model();
    Graph u = new Fp16Upcast().apply(g, "fp16").graph();
    float[] x = TestModels.random(13, 32, 2f);
    Tensor x16 = Tensor.ofFloat16("x", new long[] {1, 2, 4, 4}, x);
    // Feed the FP32 model exactly the values the FP16 model sees.
    Tensor x32 = Tensor.ofFloats("x", new long[] {1, 2, 4, 4}, x16.toFloats());
    var half = Outputs.run(g, Map.of("x", x16));
    var single = Outputs.run(u, Map.of("x", x32));
    assertEquals(DataType.FLOAT16, half.get("y").dataType());
    assertEquals(DataType.FLOAT, single.get("y").dataType());
    // FP16 rounds every intermediate to 11 significant bits: outputs of magnitude < 8 may differ by
    // 8 * 2^-10.
    double diff = Outputs.maxAbsDiff(half, single);
    assertTrue(diff <= 8 * 0x1p-10, "max abs diff " + diff);
  }

  @Test
  void fp32ModelIsLeftAlone() throws Exception {
    Graph g = TestModels.smallCnn(13);
    PassResult r = new Fp16Upcast().apply(g, "g");
    assertFalse(r.changed());
    assertEquals(g, r.graph());
  }
}
