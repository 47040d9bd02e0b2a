package org.edgeopt.compile.tensorrt;

import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.edgeopt.core.graph.Node;

/**
 * Which ONNX operators TensorRT runs as weighted (convolution or matrix) layers, and where
 * their weights keep the output channels.
 */
final class WeightedLayers {
  /** The operators whose inputs TensorRT's Q/DQ placement guidance says to quantize. */
  static final Set<String> OPS = Set.of("Conv", "ConvTranspose", "Gemm", "MatMul");

  private WeightedLayers() {}

  /** Returns whether {@code n} is a weighted layer of the default domain. */
  static boolean isWeighted(Node n) {
    return n.domain().isEmpty() && OPS.contains(n.opType());
  }

  /**
   * Returns the axis of the weight (input 1) that holds the output channels: 0 for Conv and
   * for Gemm with {@code transB=1}, 1 for ConvTranspose ({@code [Cin, Cout/group, k...]}) and for
   * Gemm with {@code transB=0}, the last axis for MatMul ({@code [..., K, N]}).
   */
  static int outputChannelAxis(Node n, int weightRank) {
    return switch (n.opType()) {
      case "Conv" -> 0;
      case "ConvTranspose" -> 1;
      case "Gemm" -> n.intAttr("transB", 0) == 1 ? 0 : 1;
      case "MatMul" -> weightRank - 1;
      default -> throw new IllegalArgumentException(n.describe() + " is not a weighted layer");
    };
  }

  /**
   * Returns the weighted layer whose result {@code value} is, looking through a
   * BatchNormalization that TensorRT folds into the layer before it.
   */
  static Optional<Node> weightedProducer(Map<String, Node> producers, String value) {
    Node p = producers.get(value);
    if (p != null && p.opType().equals("BatchNormalization")) {
      p = producers.get(p.input(0));
    }
    return p != null && isWeighted(p) ? Optional.of(p) : Optional.empty();
  }
}
