package org.edgeopt.core.cpu;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.edgeopt.core.graph.DataType;
import org.edgeopt.core.graph.Graph;
import org.edgeopt.core.graph.Node;
import org.edgeopt.core.graph.Tensor;

/**
 * The worst-case uint8 x int8 pair sum of every integer layer of a model: what decides whether a
 * CPU whose kernels saturate pairs at int16 computes the model exactly.
 *
 * <p>A layer is a Conv, Gemm or MatMul (or their integer forms) whose weight is an int8
 * initializer, directly or through a {@code DequantizeLinear}. Depthwise convolutions (one input
 * and one output channel per group) are listed but never saturate: ONNX Runtime's depthwise
 * kernels widen to int16 before multiplying.
 *
 * @param layers every integer layer, in graph order
 */
public record Int8LayerBounds(List<Layer> layers) {

  private static final Set<String> WEIGHT_AT_1 =
      Set.of("Conv", "Gemm", "MatMul", "ConvInteger", "MatMulInteger");
  private static final Set<String> WEIGHT_AT_3 = Set.of("QLinearConv", "QLinearMatMul");

  public Int8LayerBounds {
    layers = List.copyOf(layers);
  }

  /**
   * One integer layer.
   *
   * @param node the node's name
   * @param opType its operator type
   * @param weight the int8 initializer holding its weights
   * @param maxAbsWeight the largest weight magnitude
   * @param depthwise whether it is a depthwise convolution (exact on every kernel family)
   */
  public record Layer(
      String node, String opType, String weight, int maxAbsWeight, boolean depthwise) {
    /** Returns the largest pair sum this layer can form with uint8 activations. */
    public int worstCasePairSum() {
      return PairSaturation.worstCasePairSum(maxAbsWeight);
    }

    /** Returns whether a pair-saturating kernel can clamp one of this layer's sums. */
    public boolean canSaturate() {
      return !depthwise && PairSaturation.canSaturate(maxAbsWeight);
    }
  }

  /** Finds the integer layers of a graph. */
  public static Int8LayerBounds of(Graph g) {
    Map<String, Node> producers = g.producers();
    List<Layer> out = new ArrayList<>();
    for (Node n : g.nodes()) {
      int at = WEIGHT_AT_1.contains(n.opType()) ? 1 : WEIGHT_AT_3.contains(n.opType()) ? 3 : -1;
      if (at < 0 || n.inputs().size() <= at) {
        continue;
      }
      String name = n.input(at);
      Node p = producers.get(name);
      if (p != null && p.opType().equals("DequantizeLinear")) {
        name = p.input(0);
      }
      Optional<Tensor> w = g.initializer(name);
      if (w.isEmpty() || w.get().dataType() != DataType.INT8 || w.get().elementCount() < 2) {
        continue;
      }
      int max = 0;
      for (float v : w.get().toFloats()) {
        max = Math.max(max, (int) Math.abs(v));
      }
      out.add(new Layer(n.name(), n.opType(), name, max, isDepthwise(n, w.get())));
    }
    return new Int8LayerBounds(out);
  }

  private static boolean isDepthwise(Node n, Tensor w) {
    if (!n.opType().contains("Conv")) {
      return false;
    }
    long group = n.intAttr("group", 1);
    long[] d = w.dims();
    return group > 1 && d.length >= 2 && d[1] == 1 && d[0] == group;
  }

  /** Returns whether the model has integer layers at all. */
  public boolean any() {
    return !layers.isEmpty();
  }

  /** Returns the layer with the largest worst-case pair sum among those that can saturate, if any. */
  public Optional<Layer> worstSaturating() {
    return layers.stream()
        .filter(Layer::canSaturate)
        .max(java.util.Comparator.comparingInt(Layer::worstCasePairSum));
  }

  /** Returns the largest worst-case pair sum over the layers that are not depthwise; 0 when none. */
  public int worstCasePairSum() {
    return layers.stream()
        .filter(l -> !l.depthwise())
        .mapToInt(Layer::worstCasePairSum)
        .max()
        .orElse(0);
  }
}
