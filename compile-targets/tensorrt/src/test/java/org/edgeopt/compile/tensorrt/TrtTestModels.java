package org.edgeopt.compile.tensorrt;

import java.util.ArrayList;
import java.util.List;
import org.edgeopt.core.graph.Attribute;
import org.edgeopt.core.graph.DataType;
import org.edgeopt.core.graph.Graph;
import org.edgeopt.core.graph.GraphBuilder;
import org.edgeopt.core.graph.Shape;
import org.edgeopt.core.graph.Tensor;
import org.edgeopt.core.graph.TensorType;
import org.edgeopt.core.graph.Value;
import org.edgeopt.core.testing.TestModels;

/** Small models for the TensorRT tests, generated from code. */
final class TrtTestModels {
  private TrtTestModels() {}

  /**
   * A residual block whose Add directly follows a convolution, then a Gemm with
   * {@code transB=0}: input [N,4,6,6] -> Conv 1x1 (8) -> Relu -> Conv 3x3 (8) -> Add(., relu) ->
   * Relu -> GlobalAveragePool -> Flatten -> Gemm(8->3).
   */
  static Graph residualNet() {
    GraphBuilder b = new GraphBuilder("residual_net", 13);
    b.addInput(
        new Value(
            "x",
            new TensorType(
                DataType.FLOAT,
                new Shape(
                    List.of(
                        new Shape.Dim(-1, "batch"),
                        new Shape.Dim(4, null),
                        new Shape.Dim(6, null),
                        new Shape.Dim(6, null))))));
    b.addInitializer(
        Tensor.ofFloats("a.w", new long[] {8, 4, 1, 1}, TestModels.random(11, 32, 0.7f)));
    b.addInitializer(Tensor.ofFloats("a.b", new long[] {8}, TestModels.random(12, 8, 0.1f)));
    b.addInitializer(
        Tensor.ofFloats("b.w", new long[] {8, 8, 3, 3}, TestModels.random(13, 576, 0.2f)));
    b.addInitializer(Tensor.ofFloats("b.b", new long[] {8}, TestModels.random(14, 8, 0.1f)));
    b.addInitializer(Tensor.ofFloats("fc.w", new long[] {8, 3}, TestModels.random(15, 24, 1f)));
    b.addInitializer(Tensor.ofFloats("fc.b", new long[] {3}, TestModels.random(16, 3, 0.1f)));
    b.add(
        "Conv",
        "conv_a",
        List.of("x", "a.w", "a.b"),
        List.of("ca"),
        Attribute.of("kernel_shape", new long[] {1, 1}));
    b.add("Relu", "relu_a", List.of("ca"), List.of("ra"));
    b.add(
        "Conv",
        "conv_b",
        List.of("ra", "b.w", "b.b"),
        List.of("cb"),
        Attribute.of("kernel_shape", new long[] {3, 3}),
        Attribute.of("pads", new long[] {1, 1, 1, 1}));
    b.add("Add", "residual", List.of("cb", "ra"), List.of("sum"));
    b.add("Relu", "relu_out", List.of("sum"), List.of("rs"));
    b.add("GlobalAveragePool", "gap", List.of("rs"), List.of("g"));
    b.add("Flatten", "flatten", List.of("g"), List.of("f"), Attribute.of("axis", 1L));
    b.add("Gemm", "fc", List.of("f", "fc.w", "fc.b"), List.of("logits"));
    b.addOutput(
        new Value(
            "logits",
            new TensorType(
                DataType.FLOAT,
                new Shape(List.of(new Shape.Dim(-1, "batch"), new Shape.Dim(3, null))))));
    return b.build();
  }

  /** Seeded inputs for {@link #residualNet()}. */
  static List<Tensor> residualInputs(int batches, int batch) {
    List<Tensor> out = new ArrayList<>();
    for (int i = 0; i < batches; i++) {
      out.add(
          Tensor.ofFloats(
              "x", new long[] {batch, 4, 6, 6}, TestModels.random(100 + i, batch * 144, 1.5f)));
    }
    return out;
  }

  /** Seeded inputs for {@link TestModels#smallCnn}. */
  static List<Tensor> smallCnnInputs(int batches, int batch) {
    List<Tensor> out = new ArrayList<>();
    for (int i = 0; i < batches; i++) {
      out.add(TestModels.smallCnnInput(200 + i, batch));
    }
    return out;
  }

  /** Returns the largest absolute difference between two tensors' values. */
  static float maxAbsDiff(Tensor a, Tensor b) {
    float[] x = a.toFloats();
    float[] y = b.toFloats();
    if (x.length != y.length) {
      throw new AssertionError("sizes differ: " + x.length + " vs " + y.length);
    }
    float m = 0;
    for (int i = 0; i < x.length; i++) {
      m = Math.max(m, Math.abs(x[i] - y[i]));
    }
    return m;
  }

  /** Returns the largest absolute value of a tensor. */
  static float maxAbs(Tensor a) {
    float m = 0;
    for (float v : a.toFloats()) {
      m = Math.max(m, Math.abs(v));
    }
    return m;
  }
}
