package org.edgeopt.prune;

import java.util.Collections;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import org.edgeopt.core.EdgeoptException;
import org.edgeopt.core.cost.GraphCost;
import org.edgeopt.core.graph.DataType;
import org.edgeopt.core.graph.Graph;
import org.edgeopt.core.graph.Node;
import org.edgeopt.core.graph.Tensor;
import org.edgeopt.core.onnx.OnnxChecker;

/**
 * The compute and size of a model for one sample as the pruning report states them:
 * multiply-accumulates of its convolution and matrix layers and its parameters, counted by the core
 * cost model ({@link GraphCost}) so that they agree with the model card, plus the non-zero
 * parameters that pruning leaves.
 *
 * @param macs multiply-accumulates per sample (batch dimensions counted as 1)
 * @param parameters elements of all initializers
 * @param nonZeroParameters elements of all initializers that are not zero
 * @param layerMacs the MACs of each weighted layer, by node name, in graph order
 */
public record ModelCost(
    long macs, long parameters, long nonZeroParameters, Map<String, Long> layerMacs) {
  public ModelCost {
    layerMacs = Collections.unmodifiableMap(new LinkedHashMap<>(layerMacs));
  }

  private static final Set<DataType> NUMERIC =
      EnumSet.of(
          DataType.FLOAT,
          DataType.FLOAT16,
          DataType.DOUBLE,
          DataType.INT8,
          DataType.UINT8,
          DataType.INT16,
          DataType.INT32,
          DataType.INT64,
          DataType.BOOL);

  /**
   * Measures {@code g} with the core cost model ({@link GraphCost}, the figures the model card
   * prints); shapes are inferred by the ONNX shape inference.
   */
  public static ModelCost of(Graph g, String where) throws EdgeoptException {
    Graph typed = OnnxChecker.inferShapes(g.toBuilder().clearValueInfo().build(), where);
    GraphCost cost = GraphCost.of(typed);
    return new ModelCost(cost.macs(), cost.parameters(), nonZeroParameters(g), cost.macsByLayer());
  }

  /** Counts the initializer elements that are not zero (non-numeric initializers have none). */
  private static long nonZeroParameters(Graph g) {
    long nonZero = 0;
    for (Tensor t : g.initializers().values()) {
      if (NUMERIC.contains(t.dataType())) {
        for (float v : t.toFloats()) {
          if (v != 0f) {
            nonZero++;
          }
        }
      }
    }
    return nonZero;
  }

  /**
   * Returns the MACs of {@code pruned}, a channel-pruned copy of the model these layer MACs were
   * measured on, without shape inference: pruning channels leaves every spatial size as it was, so
   * each layer's MACs scale with its weight's element count.
   */
  long macsOfChannelPruned(Graph original, Graph pruned) {
    long total = 0;
    for (Map.Entry<String, Long> e : layerMacs.entrySet()) {
      Node a = original.node(e.getKey()).orElse(null);
      Node b = pruned.node(e.getKey()).orElse(null);
      Tensor wa = a == null ? null : original.initializers().get(a.input(1));
      Tensor wb = b == null ? null : pruned.initializers().get(b.input(1));
      if (wa == null || wb == null || wa.elementCount() == 0) {
        total += e.getValue();
      } else {
        total += Math.round(e.getValue() * (double) wb.elementCount() / wa.elementCount());
      }
    }
    return total;
  }

  /** Returns the fraction of MACs {@code after} saves relative to this cost, in [0, 1]. */
  public double macReduction(ModelCost after) {
    return macs == 0 ? 0 : 1.0 - (double) after.macs / macs;
  }
}
