package org.edgeopt.compile.tensorrt;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.edgeopt.core.graph.Graph;
import org.edgeopt.core.graph.Node;
import org.edgeopt.core.graph.Tensor;

/**
 * Finds the weighted layers whose weights already have TensorRT's 2:4 structured-sparsity
 * pattern, so the build recipe asks for sparse kernels only when they can be used.
 *
 * <p>The rule is TensorRT's: along the reduction (input-channel) dimension, every group of
 * four consecutive weights, at each output channel and kernel position, has at most two
 * non-zeros. Grouped and depthwise convolutions have no sparse kernels.
 */
final class TwoFourSparsity {
  private TwoFourSparsity() {}

  /** Returns the names of the weighted layers with 2:4-sparse weights (float or dequantized int8). */
  static List<String> sparseLayers(Graph g) {
    Map<String, Node> producers = g.producers();
    List<String> sparse = new ArrayList<>();
    for (Node n : g.nodes()) {
      if (!WeightedLayers.isWeighted(n) || n.opType().equals("ConvTranspose")) {
        continue;
      }
      Tensor w = g.initializers().get(n.input(1));
      if (w == null) {
        Node dq = producers.get(n.input(1));
        if (dq != null && QdqStripper.isDq(dq)) {
          w = g.initializers().get(dq.input(0));
        }
      }
      if (w == null || w.rank() < 2) {
        continue;
      }
      int axis = reductionAxis(n, w.rank());
      if (axis < 0 || w.dim(axis) % 4 != 0) {
        continue;
      }
      if (isTwoFour(w.toFloats(), w.dims(), axis)) {
        sparse.add(n.name());
      }
    }
    return sparse;
  }

  /** Returns the weight axis TensorRT groups by four, or -1 where it has no sparse kernel. */
  static int reductionAxis(Node n, int rank) {
    return switch (n.opType()) {
      case "Conv" -> n.intAttr("group", 1) == 1 ? 1 : -1;
      case "Gemm" -> n.intAttr("transB", 0) == 1 ? 1 : 0;
      case "MatMul" -> rank - 2;
      default -> -1;
    };
  }

  /** Returns whether every group of four along {@code axis} has at most two non-zeros. */
  static boolean isTwoFour(float[] v, long[] dims, int axis) {
    return org.edgeopt.core.targets.SparsityPattern.isTwoFour(v, dims, axis);
  }
}
