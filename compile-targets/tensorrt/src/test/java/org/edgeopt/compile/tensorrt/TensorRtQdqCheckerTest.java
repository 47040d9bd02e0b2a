package org.edgeopt.compile.tensorrt;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.edgeopt.core.graph.Attribute;
import org.edgeopt.core.graph.DataType;
import org.edgeopt.core.graph.Graph;
import org.edgeopt.core.graph.GraphBuilder;
import org.edgeopt.core.graph.Node;
import org.edgeopt.core.graph.Tensor;
import org.junit.jupiter.api.Test;

class TensorRtQdqCheckerTest {

  /**
   * An ONNX Runtime style QDQ version of the residual net: uint8 input without zero point,
   * per-tensor weights, a quantized conv output feeding a Relu, an unquantized residual, an
   * asymmetric int8 activation and a Gemm with only its weight quantized.
   */
  private static Graph ortStyle() {
    Graph g = TrtTestModels.residualNet();
    GraphBuilder b = new GraphBuilder(g.name(), 13).info(g.info());
    g.inputs().forEach(b::addInput);
    g.outputs().forEach(b::addOutput);
    g.initializers().values().forEach(b::addInitializer);
    b.addInitializer(Tensor.scalar("s", 0.02f));
    b.addInitializer(Tensor.ofBytes("zp_u8", DataType.UINT8, new long[0], new byte[] {(byte) 128}));
    b.addInitializer(Tensor.ofBytes("zp_i8", DataType.INT8, new long[0], new byte[] {0}));
    b.addInitializer(Tensor.ofBytes("zp_asym", DataType.INT8, new long[0], new byte[] {-20}));
    b.addInitializer(Tensor.ofBytes("a.w_q", DataType.INT8, new long[] {8, 4, 1, 1}, new byte[32]));
    b.addInitializer(
        Tensor.ofBytes("b.w_q", DataType.INT8, new long[] {8, 8, 3, 3}, new byte[576]));
    b.addInitializer(
        Tensor.ofFloats(
            "b.w_s", new long[] {8}, new float[] {.01f, .01f, .01f, .01f, .01f, .01f, .01f, .01f}));
    b.addInitializer(Tensor.ofBytes("b.w_zp", DataType.INT8, new long[] {8}, new byte[8]));
    b.addInitializer(Tensor.ofBytes("fc.w_q", DataType.INT8, new long[] {8, 3}, new byte[24]));
    // x: uint8 by omission of the zero point
    b.add("QuantizeLinear", "q_x", List.of("x", "s"), List.of("x_q"));
    b.add("DequantizeLinear", "dq_x", List.of("x_q", "s"), List.of("x_dq"));
    // conv_a weights per tensor
    b.add("DequantizeLinear", "dq_aw", List.of("a.w_q", "s", "zp_i8"), List.of("a.w_dq"));
    b.add(
        "Conv",
        "conv_a",
        List.of("x_dq", "a.w_dq", "a.b"),
        List.of("ca"),
        Attribute.of("kernel_shape", new long[] {1, 1}));
    // the conv output quantized for a Relu
    b.add("QuantizeLinear", "q_ca", List.of("ca", "s", "zp_i8"), List.of("ca_q"));
    b.add("DequantizeLinear", "dq_ca", List.of("ca_q", "s", "zp_i8"), List.of("ca_dq"));
    b.add("Relu", "relu_a", List.of("ca_dq"), List.of("ra"));
    // an asymmetric activation
    b.add("QuantizeLinear", "q_ra", List.of("ra", "s", "zp_asym"), List.of("ra_q"));
    b.add("DequantizeLinear", "dq_ra", List.of("ra_q", "s", "zp_asym"), List.of("ra_dq"));
    b.addNode(
        Node.of(
            "dq_bw",
            "DequantizeLinear",
            List.of("b.w_q", "b.w_s", "b.w_zp"),
            List.of("b.w_dq"),
            Attribute.of("axis", 0L)));
    b.add(
        "Conv",
        "conv_b",
        List.of("ra_dq", "b.w_dq", "b.b"),
        List.of("cb"),
        Attribute.of("kernel_shape", new long[] {3, 3}),
        Attribute.of("pads", new long[] {1, 1, 1, 1}));
    // the residual stays float
    b.add("Add", "residual", List.of("cb", "ra"), List.of("sum"));
    b.add("Relu", "relu_out", List.of("sum"), List.of("rs"));
    b.add("GlobalAveragePool", "gap", List.of("rs"), List.of("gp"));
    b.add("Flatten", "flatten", List.of("gp"), List.of("f"), Attribute.of("axis", 1L));
    // only the Gemm's weight is quantized
    b.add("DequantizeLinear", "dq_fcw", List.of("fc.w_q", "s", "zp_i8"), List.of("fc.w_dq"));
    b.add("Gemm", "fc", List.of("f", "fc.w_dq", "fc.b"), List.of("logits"));
    return b.build();
  }

  @Test
  void ortStyleQdqBreaksEveryRuleItIsBuiltToBreakAndNamesTheNodes() {
    QdqPlacementReport r = TensorRtQdqChecker.check(ortStyle());
    assertTrue(nodes(r, "int8").containsAll(Set.of("q_x", "dq_x")), r.describe());
    assertEquals(Set.of("q_ra", "dq_ra"), nodes(r, "symmetric"), r.describe());
    assertEquals(Set.of("dq_aw", "dq_fcw"), nodes(r, "weight-per-channel"), r.describe());
    assertEquals(Set.of("q_ca"), nodes(r, "weighted-output"), r.describe());
    assertEquals(Set.of("residual"), nodes(r, "residual-add"), r.describe());
    assertEquals(Set.of("fc"), nodes(r, "weighted-inputs"), r.describe());
    assertEquals(List.of("conv_a", "conv_b"), r.int8Layers());
    assertTrue(r.violations("residual-add").get(0).message().contains("'ra'"), r.describe());
    assertTrue(
        r.violations("weighted-output").get(0).message().contains("Relu 'relu_a'"), r.describe());
  }

  @Test
  void aFloatModelHasNoViolationsAndOnlyFloatLayers() {
    QdqPlacementReport r = TensorRtQdqChecker.check(TrtTestModels.residualNet());
    assertTrue(r.ok());
    assertEquals(List.of("conv_a", "conv_b", "fc"), r.floatLayers());
  }

  @Test
  void perChannelDequantizeBelowOpset13IsReported() {
    Graph g = ortStyle();
    Graph old = g.toBuilder().info(g.info().withOpset(10)).build();
    assertEquals(Set.of("dq_bw"), nodes(TensorRtQdqChecker.check(old), "opset"));
  }

  private static Set<String> nodes(QdqPlacementReport r, String rule) {
    return r.violations(rule).stream()
        .map(QdqPlacementReport.Violation::node)
        .collect(Collectors.toSet());
  }
}
