package org.edgeopt.ingest.pass;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.edgeopt.core.graph.Attribute;
import org.edgeopt.core.graph.DataType;
import org.edgeopt.core.graph.Graph;
import org.edgeopt.core.graph.GraphBuilder;
import org.edgeopt.core.graph.Tensor;
import org.edgeopt.core.graph.TensorType;
import org.edgeopt.core.graph.Value;
import org.edgeopt.core.onnx.OnnxChecker;
import org.edgeopt.core.testing.TestModels;
import org.junit.jupiter.api.Test;

class ConstantFoldingTest {

  /**
   * x[2,3,4] -> Reshape(x, Concat(Shape(x)[0:1], [-1])) -> MatMul(W') -> Add(bias) -> Mul(Constant) -> y, where
   * W' = Transpose(Reshape(w, Constant shape)) and bias = Cast(Unsqueeze(b16)) are all constant.
   */
  static Graph model() {
    // Opset 15: the first where Shape takes start and end.
    GraphBuilder b = new GraphBuilder("fold", 15);
    b.addInput(new Value("x", TensorType.of(DataType.FLOAT, 2, 3, 4)));
    b.addInitializer(Tensor.ofFloats("w", new long[] {5, 3, 4}, TestModels.random(1, 60, 1f)));
    b.addInitializer(Tensor.ofFloat16("b16", new long[] {5}, TestModels.random(2, 5, 1f)));
    b.addInitializer(Tensor.ofLongs("axes0", new long[] {1}, new long[] {0}));
    b.addInitializer(Tensor.ofLongs("minus1", new long[] {1}, new long[] {-1}));
    b.add(
        "Constant",
        "wshape",
        List.of(),
        List.of("ws"),
        Attribute.of("value_ints", new long[] {5, 12}));
    b.add("Reshape", "wflat", List.of("w", "ws"), List.of("w2"));
    b.add("Transpose", "wt", List.of("w2"), List.of("wT"), Attribute.of("perm", new long[] {1, 0}));
    b.add("Unsqueeze", "bun", List.of("b16", "axes0"), List.of("b2"));
    b.add(
        "Cast",
        "bcast",
        List.of("b2"),
        List.of("bias"),
        Attribute.of("to", (long) DataType.FLOAT.onnxCode()));
    b.add("Shape", "xshape", List.of("x"), List.of("xs"), Attribute.of("end", 1L));
    b.add("Concat", "target", List.of("xs", "minus1"), List.of("t"), Attribute.of("axis", 0L));
    b.add("Reshape", "xflat", List.of("x", "t"), List.of("xf"));
    b.add("MatMul", "mm", List.of("xf", "wT"), List.of("m"));
    b.add("Add", "addb", List.of("m", "bias"), List.of("a"));
    b.add("Constant", "half", List.of(), List.of("h"), Attribute.of("value_float", 0.5f));
    b.add("Mul", "scale", List.of("a", "h"), List.of("y"));
    b.addOutput(new Value("y", TensorType.of(DataType.FLOAT, 2, 5)));
    return b.build();
  }

  @Test
  void foldsEveryConstantSubgraph() throws Exception {
    Graph g = model();
    PassResult r = new ConstantFolding().apply(g, "fold");
    assertTrue(r.changed(), r.message());
    Graph f = r.graph();
    // Only the data path is left: Reshape(x, folded shape), MatMul, Add, Mul.
    assertEquals(
        Map.of("Reshape", 1, "MatMul", 1, "Add", 1, "Mul", 1), f.opHistogram(), r.message());
    assertArrayEquals(
        new long[] {2, -1},
        f.initializers().get("t").toLongs(),
        "Shape of the static input folded");
    assertArrayEquals(new long[] {12, 5}, f.initializers().get("wT").dims());
    assertEquals(DataType.FLOAT, f.initializers().get("bias").dataType());
    OnnxChecker.check(f, "folded");
    var in = Map.of("x", Tensor.ofFloats("x", new long[] {2, 3, 4}, TestModels.random(3, 24, 1f)));
    // Folding runs the same float kernels on the same values: the outputs are bit-identical.
    assertEquals(0.0, Outputs.maxAbsDiff(Outputs.run(g, in), Outputs.run(f, in)));
  }

  @Test
  void leavesRandomAndDequantizeAlone() throws Exception {
    GraphBuilder b = new GraphBuilder("q", 13);
    b.addInput(new Value("x", TensorType.of(DataType.FLOAT, 4)));
    b.addInitializer(Tensor.ofBytes("q", DataType.INT8, new long[] {4}, new byte[] {1, -2, 3, -4}));
    b.addInitializer(Tensor.scalar("s", 0.5f));
    b.add("DequantizeLinear", "dq", List.of("q", "s"), List.of("w"));
    b.add("RandomUniform", "noise", List.of(), List.of("n"), Attribute.of("shape", new long[] {4}));
    b.add("Add", "a", List.of("x", "w"), List.of("xw"));
    b.add("Add", "b", List.of("xw", "n"), List.of("y"));
    b.addOutput(new Value("y", null));
    Graph g = b.build();
    PassResult r = new ConstantFolding().apply(g, "q");
    assertEquals(g.nodes(), r.graph().nodes(), r.message());
  }
}
