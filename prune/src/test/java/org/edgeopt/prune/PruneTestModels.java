package org.edgeopt.prune;

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

/** Small models for the pruning tests, generated from code. */
final class PruneTestModels {
  private PruneTestModels() {}

  /**
   * A MobileNetV2-style block with a residual Add, a Concat and a Gemm after Flatten:
   * x[N,3,8,8] -> stem Conv 3x3 (8) -> BN -> Clip -> [expand 1x1 (16) -> BN -> Clip -> depthwise
   * 3x3 -> BN -> Clip -> project 1x1 (8) -> BN] -> Add(stem, project) -> Concat(add, Relu(branch
   * 1x1 (4) of add)) -> head 1x1 (16) -> Relu -> GlobalAveragePool -> Flatten -> Gemm (5).
   */
  static Graph mobileBlock() {
    GraphBuilder b = new GraphBuilder("mobile_block", 13);
    b.addInput(
        new Value(
            "x",
            new TensorType(
                DataType.FLOAT,
                new Shape(
                    List.of(
                        new Shape.Dim(-1, "batch"),
                        new Shape.Dim(3, null),
                        new Shape.Dim(8, null),
                        new Shape.Dim(8, null))))));
    b.addInitializer(Tensor.scalar("zero", 0f));
    b.addInitializer(Tensor.scalar("six", 6f));
    conv(b, "stem", "x", "stem.out", 3, 8, 3, 1, 1, false);
    bn(b, "stem.bn", "stem.out", "stem.bn.out", 8, 2);
    b.add("Clip", "stem.clip", List.of("stem.bn.out", "zero", "six"), List.of("s"));
    conv(b, "expand", "s", "e", 8, 16, 1, 1, 3, false);
    bn(b, "expand.bn", "e", "e.bn", 16, 4);
    b.add("Clip", "expand.clip", List.of("e.bn", "zero", "six"), List.of("e.act"));
    conv(b, "dw", "e.act", "d", 16, 16, 3, 16, 5, false);
    bn(b, "dw.bn", "d", "d.bn", 16, 6);
    b.add("Clip", "dw.clip", List.of("d.bn", "zero", "six"), List.of("d.act"));
    conv(b, "project", "d.act", "p", 16, 8, 1, 1, 7, false);
    bn(b, "project.bn", "p", "p.bn", 8, 8);
    b.add("Add", "residual", List.of("s", "p.bn"), List.of("r"));
    conv(b, "branch", "r", "br", 8, 4, 1, 1, 9, true);
    b.add("Relu", "branch.relu", List.of("br"), List.of("br.act"));
    b.add("Concat", "concat", List.of("r", "br.act"), List.of("cat"), Attribute.of("axis", 1L));
    conv(b, "head", "cat", "h", 12, 16, 1, 1, 10, true);
    b.add("Relu", "head.relu", List.of("h"), List.of("h.act"));
    b.add("GlobalAveragePool", "gap", List.of("h.act"), List.of("gp"));
    b.add("Flatten", "flatten", List.of("gp"), List.of("f"), Attribute.of("axis", 1L));
    b.addInitializer(Tensor.ofFloats("fc.w", new long[] {5, 16}, TestModels.random(11, 80, 0.5f)));
    b.addInitializer(Tensor.ofFloats("fc.b", new long[] {5}, TestModels.random(12, 5, 0.1f)));
    b.add(
        "Gemm", "fc", List.of("f", "fc.w", "fc.b"), List.of("logits"), Attribute.of("transB", 1L));
    b.addOutput(
        new Value(
            "logits",
            new TensorType(
                DataType.FLOAT,
                new Shape(List.of(new Shape.Dim(-1, "batch"), new Shape.Dim(5, null))))));
    return b.build();
  }

  private static void conv(
      GraphBuilder b,
      String name,
      String in,
      String out,
      int cin,
      int cout,
      int k,
      int group,
      long seed,
      boolean bias) {
    int per = cin / group * k * k;
    b.addInitializer(
        Tensor.ofFloats(
            name + ".w",
            new long[] {cout, cin / group, k, k},
            TestModels.random(seed, cout * per, (float) (1.5 / Math.sqrt(per)))));
    List<String> inputs = bias ? List.of(in, name + ".w", name + ".b") : List.of(in, name + ".w");
    if (bias) {
      b.addInitializer(
          Tensor.ofFloats(
              name + ".b", new long[] {cout}, TestModels.random(seed + 100, cout, 0.1f)));
    }
    b.add(
        "Conv",
        name,
        inputs,
        List.of(out),
        Attribute.of("kernel_shape", new long[] {k, k}),
        Attribute.of("pads", new long[] {k / 2, k / 2, k / 2, k / 2}),
        Attribute.of("group", (long) group));
  }

  private static void bn(GraphBuilder b, String name, String in, String out, int c, long seed) {
    float[] gamma = TestModels.random(seed, c, 0.5f);
    float[] var = TestModels.random(seed + 1, c, 0.5f);
    for (int i = 0; i < c; i++) {
      gamma[i] += 1f;
      var[i] += 1f;
    }
    b.addInitializer(Tensor.ofFloats(name + ".scale", new long[] {c}, gamma));
    b.addInitializer(
        Tensor.ofFloats(name + ".bias", new long[] {c}, TestModels.random(seed + 2, c, 0.3f)));
    b.addInitializer(
        Tensor.ofFloats(name + ".mean", new long[] {c}, TestModels.random(seed + 3, c, 0.3f)));
    b.addInitializer(Tensor.ofFloats(name + ".var", new long[] {c}, var));
    b.add(
        "BatchNormalization",
        name,
        List.of(in, name + ".scale", name + ".bias", name + ".mean", name + ".var"),
        List.of(out),
        Attribute.of("epsilon", 1e-5f));
  }

  /** A seeded input batch for {@link #mobileBlock()}. */
  static Tensor mobileInput(long seed, int batch) {
    return Tensor.ofFloats(
        "x", new long[] {batch, 3, 8, 8}, TestModels.random(seed, batch * 192, 2f));
  }
}
