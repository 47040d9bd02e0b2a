package org.edgeopt.core.testing;

import java.util.List;
import java.util.Random;
import org.edgeopt.core.graph.Attribute;
import org.edgeopt.core.graph.DataType;
import org.edgeopt.core.graph.Graph;
import org.edgeopt.core.graph.GraphBuilder;
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
    b.addInput(new Value("input", new TensorType(DataType.FLOAT, new Shape(List.of(new Shape.Dim(-1, "batch"),
        new Shape.Dim(1, null), new Shape.Dim(8, null), new Shape.Dim(8, null))))));
    b.addInitializer(Tensor.ofFloats("conv1.w", new long[] {4, 1, 3, 3}, random(1, 36, 0.5f)));
    b.addInitializer(Tensor.ofFloats("conv1.b", new long[] {4}, random(2, 4, 0.1f)));
    b.addInitializer(Tensor.ofFloats("bn.scale", new long[] {4}, new float[] {1.2f, 0.8f, 1.0f, 0.5f}));
    b.addInitializer(Tensor.ofFloats("bn.bias", new long[] {4}, new float[] {0.1f, -0.2f, 0.0f, 0.3f}));
    b.addInitializer(Tensor.ofFloats("bn.mean", new long[] {4}, new float[] {0.05f, -0.1f, 0.2f, 0.0f}));
    b.addInitializer(Tensor.ofFloats("bn.var", new long[] {4}, new float[] {0.9f, 1.1f, 0.5f, 2.0f}));
    b.addInitializer(Tensor.ofFloats("dw.w", new long[] {4, 1, 3, 3}, random(3, 36, 0.5f)));
    b.addInitializer(Tensor.ofFloats("dw.b", new long[] {4}, random(4, 4, 0.1f)));
    b.addInitializer(Tensor.ofFloats("fc.w", new long[] {3, 4}, random(5, 12, 1f)));
    b.addInitializer(Tensor.ofFloats("fc.b", new long[] {3}, random(6, 3, 0.1f)));
    b.add("Conv", "conv1", List.of("input", "conv1.w", "conv1.b"), List.of("c1"),
        Attribute.of("kernel_shape", new long[] {3, 3}), Attribute.of("pads", new long[] {1, 1, 1, 1}));
    b.add("BatchNormalization", "bn1", List.of("c1", "bn.scale", "bn.bias", "bn.mean", "bn.var"), List.of("b1"),
        Attribute.of("epsilon", 1e-5f));
    b.add("Relu", "relu1", List.of("b1"), List.of("r1"));
    b.add("Conv", "dw", List.of("r1", "dw.w", "dw.b"), List.of("d1"),
        Attribute.of("kernel_shape", new long[] {3, 3}), Attribute.of("pads", new long[] {1, 1, 1, 1}),
        Attribute.of("group", 4L));
    if (opset >= 11) {
      b.addInitializer(Tensor.scalar("clip.min", 0f));
      b.addInitializer(Tensor.scalar("clip.max", 6f));
      b.add("Clip", "clip", List.of("d1", "clip.min", "clip.max"), List.of("k1"));
    } else {
      b.add("Clip", "clip", List.of("d1"), List.of("k1"), Attribute.of("min", 0f), Attribute.of("max", 6f));
    }
    b.add("Add", "residual", List.of("k1", "r1"), List.of("a1"));
    b.add("GlobalAveragePool", "gap", List.of("a1"), List.of("g1"));
    b.add("Flatten", "flatten", List.of("g1"), List.of("f1"), Attribute.of("axis", 1L));
    b.add("Gemm", "fc", List.of("f1", "fc.w", "fc.b"), List.of("logits"), Attribute.of("transB", 1L));
    b.addOutput(new Value("logits", new TensorType(DataType.FLOAT, new Shape(List.of(new Shape.Dim(-1, "batch"),
        new Shape.Dim(3, null))))));
    return b.build();
  }

  /** A batch of seeded inputs for {@link #smallCnn}. */
  public static Tensor smallCnnInput(long seed, int batch) {
    return Tensor.ofFloats("input", new long[] {batch, 1, 8, 8}, random(seed, batch * 64, 2f));
  }
}
