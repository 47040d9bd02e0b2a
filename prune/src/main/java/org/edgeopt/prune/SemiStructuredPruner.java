package org.edgeopt.prune;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import org.edgeopt.core.graph.Graph;
import org.edgeopt.core.graph.GraphBuilder;
import org.edgeopt.core.graph.Node;
import org.edgeopt.core.graph.Tensor;

/**
 * 2:4 semi-structured pruning: in every group of four consecutive input-channel weights, keep
 * the two of largest magnitude and zero the other two.
 *
 * <p>The rule is TensorRT's. Its sparse tensor-core kernels run convolutions as an implicit
 * GEMM whose reduction dimension is {@code kH*kW*Cin} with the input channel varying fastest
 * (KRSC layout), so four consecutive reduction elements are four consecutive input channels at
 * one kernel position. Grouping along the flattened ONNX weight ({@code Cin/group*kH*kW}, kernel
 * position fastest) would give a pattern TensorRT does not accept. Hence a Conv is eligible when
 * {@code group == 1} (TensorRT has no sparse grouped or depthwise kernels) and {@code Cin % 4 == 0};
 * a Gemm or MatMul when its inner dimension {@code K % 4 == 0}.
 */
public final class SemiStructuredPruner {
  private SemiStructuredPruner() {}

  /** Returns the eligibility of every weighted layer, in graph order. */
  public static List<LayerEligibility> eligibility(Graph g) {
    Map<String, List<Node>> consumers = g.consumers();
    List<LayerEligibility> out = new ArrayList<>();
    for (Node n : g.nodes()) {
      if (!n.domain().isEmpty()
          || !List.of("Conv", "Gemm", "MatMul", "ConvTranspose").contains(n.opType())) {
        continue;
      }
      String w = n.input(1);
      Tensor t = g.initializers().get(w);
      if (n.opType().equals("ConvTranspose")) {
        out.add(
            new LayerEligibility(
                n.name(),
                n.opType(),
                w,
                0,
                false,
                "ConvTranspose: TensorRT has no sparse kernels for it"));
      } else if (t == null || !t.dataType().isFloat()) {
        out.add(
            new LayerEligibility(
                n.name(),
                n.opType(),
                w,
                0,
                false,
                "the weight '" + w + "' is not a float initializer"));
      } else if (consumers.getOrDefault(w, List.of()).size() > 1) {
        out.add(
            new LayerEligibility(
                n.name(),
                n.opType(),
                w,
                0,
                false,
                "the weight '" + w + "' is shared with another layer"));
      } else if (n.opType().equals("Conv") && n.intAttr("group", 1) != 1) {
        out.add(
            new LayerEligibility(
                n.name(),
                n.opType(),
                w,
                t.dim(1),
                false,
                "grouped convolution (group "
                    + n.intAttr("group", 1)
                    + "): TensorRT has no sparse kernels for grouped or depthwise convolutions"));
      } else {
        int axis = reductionAxis(n, t.rank());
        long k = axis < 0 || axis >= t.rank() ? 0 : t.dim(axis);
        if (k % 4 != 0 || k == 0) {
          out.add(
              new LayerEligibility(
                  n.name(),
                  n.opType(),
                  w,
                  k,
                  false,
                  (n.opType().equals("Conv") ? "input channels" : "inner dimension K")
                      + " = "
                      + k
                      + " is not divisible by 4"));
        } else {
          out.add(
              new LayerEligibility(
                  n.name(),
                  n.opType(),
                  w,
                  k,
                  true,
                  "2 of every 4 consecutive "
                      + (n.opType().equals("Conv")
                          ? "input channels at each kernel position"
                          : "inner-dimension weights")
                      + " kept"));
        }
      }
    }
    return out;
  }

  /** Returns the weight axis grouped by four: Conv input channels, Gemm/MatMul inner dimension. */
  static int reductionAxis(Node n, int rank) {
    return switch (n.opType()) {
      case "Conv" -> 1;
      case "Gemm" -> n.intAttr("transB", 0) == 1 ? 1 : 0;
      case "MatMul" -> rank - 2;
      default -> -1;
    };
  }

  /**
   * Returns {@code g} with the 2:4 pattern applied to the weights of {@code layers}.
   *
   * @throws IllegalArgumentException if a layer does not exist or is not eligible
   */
  public static Graph prune(Graph g, Collection<String> layers) {
    return prune(g, layers, Map.of());
  }

  /**
   * Returns {@code g} with the 2:4 pattern applied to {@code layers}; a layer with a regression
   * then has its remaining weights and its bias refitted by least squares on calibration data
   * (the zeros stay where magnitude put them).
   */
  static Graph prune(
      Graph g,
      Collection<String> layers,
      Map<String, LinearReconstruction.Regression> regressions) {
    Map<String, LayerEligibility> byName = new java.util.HashMap<>();
    eligibility(g).forEach(e -> byName.put(e.layer(), e));
    GraphBuilder b = g.toBuilder();
    for (String layer : layers) {
      LayerEligibility e = byName.get(layer);
      if (e == null || !e.eligible()) {
        throw new IllegalArgumentException(
            "layer '"
                + layer
                + "' cannot take the 2:4 pattern: "
                + (e == null ? "no such weighted layer" : e.reason()));
      }
      Node n = g.node(layer).orElseThrow();
      Tensor w = g.initializers().get(e.weight());
      int axis = reductionAxis(n, w.rank());
      boolean[] kept = keptByMagnitude(w.toFloats(), w.dims(), axis);
      float[] v = w.toFloats();
      for (int i = 0; i < v.length; i++) {
        if (!kept[i]) {
          v[i] = 0f;
        }
      }
      LinearReconstruction.Regression r = regressions.get(layer);
      Tensor bias = n.input(2).isEmpty() ? null : g.initializers().get(n.input(2));
      long outputs = w.dim(axis == 1 ? 0 : 1);
      if (r != null
          && r.outputs() == outputs
          && r.features() == w.dim(axis)
          && (n.input(2).isEmpty()
              || (bias != null && bias.rank() == 1 && bias.dim(0) == outputs))) {
        int o = (int) outputs;
        int f = r.features();
        boolean[][] support = new boolean[o][f];
        for (int out = 0; out < o; out++) {
          for (int in = 0; in < f; in++) {
            support[out][in] = kept[axis == 1 ? out * f + in : in * o + out];
          }
        }
        double[][] fit = LinearReconstruction.solveMasked(r, support);
        float[] bv = new float[o];
        for (int out = 0; out < o; out++) {
          for (int in = 0; in < f; in++) {
            v[axis == 1 ? out * f + in : in * o + out] = (float) fit[out][in];
          }
          bv[out] = (float) fit[out][f];
        }
        String biasName = bias != null ? bias.name() : b.uniqueName(w.name() + "_bias");
        b.addInitializer(Tensor.ofFloats(biasName, new long[] {o}, bv));
        if (bias == null) {
          java.util.List<String> in = new java.util.ArrayList<>(n.inputs());
          in.add(biasName);
          b.replaceNode(n.withInputs(in));
        }
      }
      b.addInitializer(Tensor.ofFloats(w.name(), w.dims(), v));
    }
    return b.build();
  }

  /** Returns whether the weight of {@code layer} has at most two non-zeros in every group of four. */
  public static boolean satisfies(Graph g, String layer) {
    Node n =
        g.node(layer).orElseThrow(() -> new IllegalArgumentException("no layer '" + layer + "'"));
    Tensor w = g.initializers().get(n.input(1));
    int axis = reductionAxis(n, w.rank());
    return w.dim(axis) % 4 == 0 && isTwoFour(w.toFloats(), w.dims(), axis);
  }

  /** Returns {@code v} with the two smallest-magnitude values of each group of four along {@code axis} zeroed. */
  static float[] mask(float[] v, long[] dims, int axis) {
    boolean[] kept = keptByMagnitude(v, dims, axis);
    float[] out = v.clone();
    for (int i = 0; i < out.length; i++) {
      if (!kept[i]) {
        out[i] = 0f;
      }
    }
    return out;
  }

  /** Returns, for each weight, whether it is one of the two largest magnitudes of its group of four along {@code axis}. */
  static boolean[] keptByMagnitude(float[] v, long[] dims, int axis) {
    boolean[] kept = new boolean[v.length];
    int inner = inner(dims, axis);
    int r = (int) dims[axis];
    int outer = v.length / (inner * r);
    int[] idx = new int[4];
    for (int o = 0; o < outer; o++) {
      for (int i = 0; i < inner; i++) {
        for (int g = 0; g < r; g += 4) {
          for (int j = 0; j < 4; j++) {
            idx[j] = (o * r + g + j) * inner + i;
          }
          // keep the two largest |w|; on ties the lower channel wins, so the result is
          // deterministic
          int first = -1;
          int second = -1;
          for (int j = 0; j < 4; j++) {
            float m = Math.abs(v[idx[j]]);
            if (first < 0 || m > Math.abs(v[idx[first]])) {
              second = first;
              first = j;
            } else if (second < 0 || m > Math.abs(v[idx[second]])) {
              second = j;
            }
          }
          kept[idx[first]] = true;
          kept[idx[second]] = true;
        }
      }
    }
    return kept;
  }

  /** Returns whether every group of four along {@code axis} has at most two non-zeros. */
  static boolean isTwoFour(float[] v, long[] dims, int axis) {
    return org.edgeopt.core.targets.SparsityPattern.isTwoFour(v, dims, axis);
  }

  private static int inner(long[] dims, int axis) {
    int inner = 1;
    for (int i = axis + 1; i < dims.length; i++) {
      inner *= (int) dims[i];
    }
    return inner;
  }
}
