package org.edgeopt.core.cost;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.edgeopt.core.graph.Attribute;
import org.edgeopt.core.graph.DataType;
import org.edgeopt.core.graph.Graph;
import org.edgeopt.core.graph.GraphBuilder;
import org.edgeopt.core.graph.Shape;
import org.edgeopt.core.graph.Tensor;
import org.edgeopt.core.graph.TensorType;
import org.edgeopt.core.graph.Value;
import org.edgeopt.core.onnx.OnnxChecker;
import org.edgeopt.core.testing.TestModels;
import org.junit.jupiter.api.Test;

class LayerCostsTest {

  /** x[batch,8,5,5] -> ConvTranspose(8->6, 3x3, stride 2) = [1,6,11,11] -> Reshape [121,6] -> Gemm(transA) -> MatMul. */
  static Graph model() throws Exception {
    GraphBuilder b = new GraphBuilder("costs", 13);
    b.addInput(
        new Value(
            "x",
            new TensorType(
                DataType.FLOAT,
                new Shape(
                    List.of(
                        new Shape.Dim(-1, "batch"),
                        new Shape.Dim(8, null),
                        new Shape.Dim(5, null),
                        new Shape.Dim(5, null))))));
    b.addInitializer(
        Tensor.ofFloats("wt", new long[] {8, 6, 3, 3}, TestModels.random(1, 432, 0.1f)));
    b.addInitializer(Tensor.ofLongs("shape", new long[] {2}, new long[] {121, 6}));
    b.addInitializer(Tensor.ofFloats("g", new long[] {121, 7}, TestModels.random(2, 847, 0.1f)));
    b.addInitializer(Tensor.ofFloats("m", new long[] {7, 2}, TestModels.random(3, 14, 0.1f)));
    b.add(
        "ConvTranspose",
        "up",
        List.of("x", "wt"),
        List.of("u"),
        Attribute.of("strides", new long[] {2, 2}));
    b.add("Reshape", "view", List.of("u", "shape"), List.of("v"));
    b.add("Gemm", "gemm", List.of("v", "g"), List.of("y"), Attribute.of("transA", 1L));
    b.add("MatMul", "mm", List.of("y", "m"), List.of("z"));
    b.addOutput(new Value("z", TensorType.of(DataType.FLOAT, 6, 2)));
    return OnnxChecker.inferShapes(b.build(), "costs");
  }

  @Test
  void countsMacsFromInferredShapesAtBatchOne() throws Exception {
    Graph g = model();
    assertArrayEquals(
        new long[] {1, 6, 11, 11}, LayerCosts.sizes(g, "u"), "symbolic batch taken as 1");
    // ConvTranspose: each of the 1x8x5x5 inputs is scattered through 6 x 3x3 weights.
    assertEquals(8L * 5 * 5 * 6 * 9, LayerCosts.macs(g, g.node("up").orElseThrow()));
    // Gemm with transA: A is [K, M] = [121, 6], B [121, 7]: M*N*K.
    assertEquals(6L * 7 * 121, LayerCosts.macs(g, g.node("gemm").orElseThrow()));
    assertEquals(6L * 2 * 7, LayerCosts.macs(g, g.node("mm").orElseThrow()));
    assertEquals(0, LayerCosts.macs(g, g.node("view").orElseThrow()));
    // Reshape reads u (726) and its shape (2) and writes v (726).
    assertEquals(726 + 2 + 726, LayerCosts.elementsMoved(g, g.node("view").orElseThrow()));
  }
}
