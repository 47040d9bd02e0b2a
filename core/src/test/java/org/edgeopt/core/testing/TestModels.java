package org.edgeopt.core.testing;

import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.edgeopt.core.graph.Attribute;
import org.edgeopt.core.graph.DataType;
import org.edgeopt.core.graph.Graph;
import org.edgeopt.core.graph.GraphBuilder;
import org.edgeopt.core.graph.Node;
import org.edgeopt.core.graph.Shape;
import org.edgeopt.core.graph.Tensor;
import org.edgeopt.core.graph.TensorType;
import org.edgeopt.core.graph.Value;

/** Tiny models generated from code for unit tests (shared with other modules as a test-jar). */
public final class TestModels {
  private TestModels() {}

  /** Returns {@code n} seeded pseudo-random floats in [-scale, scale). */
  public static float[] random(long seed, int n, float scale) {
    Random r = new Random(seed);
    float[] f = new float[n];
    for (int i = 0; i < f.length; i++) {
      f[i] = (r.nextFloat() * 2 - 1) * scale;
    }
    return f;
  }

  /**
   * A small CNN: input [N,1,8,8] -> Conv(4, 3x3, pad 1) -> BatchNormalization -> Relu ->
   * Conv depthwise(4, 3x3) -> Clip(0,6) -> Add(residual) -> GlobalAveragePool -> Flatten -> Gemm(4->3).
   */
  public static Graph smallCnn(long opset) {
    GraphBuilder b = new GraphBuilder("small_cnn", opset);
    b.addInput(
        new Value(
            "input",
            new TensorType(
                DataType.FLOAT,
                new Shape(
                    List.of(
                        new Shape.Dim(-1, "batch"),
                        new Shape.Dim(1, null),
                        new Shape.Dim(8, null),
                        new Shape.Dim(8, null))))));
    b.addInitializer(Tensor.ofFloats("conv1.w", new long[] {4, 1, 3, 3}, random(1, 36, 0.5f)));
    b.addInitializer(Tensor.ofFloats("conv1.b", new long[] {4}, random(2, 4, 0.1f)));
    b.addInitializer(
        Tensor.ofFloats("bn.scale", new long[] {4}, new float[] {1.2f, 0.8f, 1.0f, 0.5f}));
    b.addInitializer(
        Tensor.ofFloats("bn.bias", new long[] {4}, new float[] {0.1f, -0.2f, 0.0f, 0.3f}));
    b.addInitializer(
        Tensor.ofFloats("bn.mean", new long[] {4}, new float[] {0.05f, -0.1f, 0.2f, 0.0f}));
    b.addInitializer(
        Tensor.ofFloats("bn.var", new long[] {4}, new float[] {0.9f, 1.1f, 0.5f, 2.0f}));
    b.addInitializer(Tensor.ofFloats("dw.w", new long[] {4, 1, 3, 3}, random(3, 36, 0.5f)));
    b.addInitializer(Tensor.ofFloats("dw.b", new long[] {4}, random(4, 4, 0.1f)));
    b.addInitializer(Tensor.ofFloats("fc.w", new long[] {3, 4}, random(5, 12, 1f)));
    b.addInitializer(Tensor.ofFloats("fc.b", new long[] {3}, random(6, 3, 0.1f)));
    b.add(
        "Conv",
        "conv1",
        List.of("input", "conv1.w", "conv1.b"),
        List.of("c1"),
        Attribute.of("kernel_shape", new long[] {3, 3}),
        Attribute.of("pads", new long[] {1, 1, 1, 1}));
    b.add(
        "BatchNormalization",
        "bn1",
        List.of("c1", "bn.scale", "bn.bias", "bn.mean", "bn.var"),
        List.of("b1"),
        Attribute.of("epsilon", 1e-5f));
    b.add("Relu", "relu1", List.of("b1"), List.of("r1"));
    b.add(
        "Conv",
        "dw",
        List.of("r1", "dw.w", "dw.b"),
        List.of("d1"),
        Attribute.of("kernel_shape", new long[] {3, 3}),
        Attribute.of("pads", new long[] {1, 1, 1, 1}),
        Attribute.of("group", 4L));
    if (opset >= 11) {
      b.addInitializer(Tensor.scalar("clip.min", 0f));
      b.addInitializer(Tensor.scalar("clip.max", 6f));
      b.add("Clip", "clip", List.of("d1", "clip.min", "clip.max"), List.of("k1"));
    } else {
      b.add(
          "Clip",
          "clip",
          List.of("d1"),
          List.of("k1"),
          Attribute.of("min", 0f),
          Attribute.of("max", 6f));
    }
    b.add("Add", "residual", List.of("k1", "r1"), List.of("a1"));
    b.add("GlobalAveragePool", "gap", List.of("a1"), List.of("g1"));
    b.add("Flatten", "flatten", List.of("g1"), List.of("f1"), Attribute.of("axis", 1L));
    b.add(
        "Gemm", "fc", List.of("f1", "fc.w", "fc.b"), List.of("logits"), Attribute.of("transB", 1L));
    b.addOutput(
        new Value(
            "logits",
            new TensorType(
                DataType.FLOAT,
                new Shape(List.of(new Shape.Dim(-1, "batch"), new Shape.Dim(3, null))))));
    return b.build();
  }

  /** A batch of seeded inputs for {@link #smallCnn}. */
  public static Tensor smallCnnInput(long seed, int batch) {
    return Tensor.ofFloats("input", new long[] {batch, 1, 8, 8}, random(seed, batch * 64, 2f));
  }

  /** Input channels of {@link #worstCaseQdqConv}. */
  public static final int WORST_CASE_CHANNELS = 8;

  /** Activation scale of {@link #worstCaseQdqConv}: an input of 1.0 quantizes to 255. */
  public static final float WORST_CASE_ACTIVATION_SCALE = 1f / 255;

  /** Weight scale of {@link #worstCaseQdqConv}. */
  public static final float WORST_CASE_WEIGHT_SCALE = 1f / 127;

  /**
   * A QDQ Conv over uint8 activations at 255 with every int8 weight at {@code w}, requantized to
   * uint8 with scale {@code outScale}; {@code depthwise} makes it one channel per group, 3x3.
   */
  public static Graph worstCaseQdqConv(int w, boolean depthwise, float outScale) {
    int k = depthwise ? 3 : 1;
    long[] wDims =
        depthwise
            ? new long[] {WORST_CASE_CHANNELS, 1, k, k}
            : new long[] {1, WORST_CASE_CHANNELS, k, k};
    int outChannels = depthwise ? WORST_CASE_CHANNELS : 1;
    byte[] weights = new byte[WORST_CASE_CHANNELS * k * k];
    Arrays.fill(weights, (byte) w);
    GraphBuilder b = new GraphBuilder("worst_case", 13);
    b.addInput(new Value("x", TensorType.of(DataType.FLOAT, 1, WORST_CASE_CHANNELS, k, k)));
    b.addInitializer(
        Tensor.ofFloats("x_scale", new long[0], new float[] {WORST_CASE_ACTIVATION_SCALE}));
    b.addInitializer(Tensor.ofBytes("x_zp", DataType.UINT8, new long[0], new byte[] {0}));
    b.addInitializer(Tensor.ofBytes("w_q", DataType.INT8, wDims, weights));
    b.addInitializer(
        Tensor.ofFloats("w_scale", new long[0], new float[] {WORST_CASE_WEIGHT_SCALE}));
    b.addInitializer(Tensor.ofBytes("w_zp", DataType.INT8, new long[0], new byte[] {0}));
    b.addInitializer(Tensor.ofFloats("y_scale", new long[0], new float[] {outScale}));
    b.addInitializer(Tensor.ofBytes("y_zp", DataType.UINT8, new long[0], new byte[] {0}));
    b.addNode(Node.of("q_x", "QuantizeLinear", List.of("x", "x_scale", "x_zp"), List.of("xq")));
    b.addNode(Node.of("dq_x", "DequantizeLinear", List.of("xq", "x_scale", "x_zp"), List.of("xd")));
    b.addNode(
        Node.of("dq_w", "DequantizeLinear", List.of("w_q", "w_scale", "w_zp"), List.of("wd")));
    b.addNode(
        Node.of(
            "conv",
            "Conv",
            List.of("xd", "wd"),
            List.of("y"),
            Attribute.of("kernel_shape", new long[] {k, k}),
            Attribute.of("group", (long) (depthwise ? WORST_CASE_CHANNELS : 1))));
    b.addNode(Node.of("q_y", "QuantizeLinear", List.of("y", "y_scale", "y_zp"), List.of("yq")));
    b.addNode(
        Node.of("dq_y", "DequantizeLinear", List.of("yq", "y_scale", "y_zp"), List.of("out")));
    b.addOutput(new Value("out", TensorType.of(DataType.FLOAT, 1, outChannels, 1, 1)));
    return b.build();
  }
}
