package org.edgeopt.core.cost;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.edgeopt.core.graph.Graph;
import org.edgeopt.core.graph.Node;

/**
 * The cost of a whole model at batch 1, node by node and in total, counted with {@link
 * LayerCosts}' one set of rules: the figures the model card, the pruning report and the planners
 * all print.
 *
 * <p>The graph must carry inferred shapes (e.g. {@code OnnxChecker.inferShapes}); a node whose
 * shapes are unknown costs 0 MACs.
 *
 * @param macs multiply-accumulates of all nodes (saturating at {@link Long#MAX_VALUE})
 * @param parameters elements of all initializers, used or not ({@link Graph#parameterCount})
 * @param weightBytes bytes of all initializers ({@link Graph#weightBytes})
 * @param bytesMoved bytes all nodes read and write (saturating)
 * @param peakActivation the activation memory peak ({@link ActivationMemory#peak})
 * @param nodes every node's cost, in graph order
 */
public record GraphCost(
    long macs,
    long parameters,
    long weightBytes,
    long bytesMoved,
    ActivationPeak peakActivation,
    List<NodeCost> nodes) {

  /** Copies the node list so the record stays immutable. */
  public GraphCost {
    nodes = List.copyOf(nodes);
  }

  /** Counts the cost of every node of {@code g} and of the whole graph. */
  public static GraphCost of(Graph g) {
    List<NodeCost> nodes = new ArrayList<>(g.nodes().size());
    long macs = 0;
    long moved = 0;
    for (Node n : g.nodes()) {
      long[] out = n.outputs().isEmpty() ? null : LayerCosts.sizes(g, n.output());
      NodeCost c =
          new NodeCost(
              n.name(),
              n.opType(),
              LayerCosts.macs(g, n),
              LayerCosts.parameters(g, n),
              LayerCosts.bytesMoved(g, n),
              out == null ? List.of() : Arrays.stream(out).boxed().toList());
      nodes.add(c);
      macs = LayerCosts.saturatedSum(macs, c.macs());
      moved = LayerCosts.saturatedSum(moved, c.bytesMoved());
    }
    return new GraphCost(
        macs, g.parameterCount(), g.weightBytes(), moved, ActivationMemory.peak(g), nodes);
  }

  /** Returns the nodes that multiply-accumulate (Conv, ConvTranspose, Gemm, MatMul with known shapes), in graph order. */
  public List<NodeCost> weightedLayers() {
    return nodes.stream().filter(n -> n.macs() > 0).toList();
  }

  /**
   * Returns the MACs of each weighted layer by node name, in graph order; layers that share a name
   * (e.g. unnamed ones) share an entry, the last one's ({@link #weightedLayers} lists them all).
   */
  public Map<String, Long> macsByLayer() {
    Map<String, Long> out = new LinkedHashMap<>();
    for (NodeCost n : weightedLayers()) {
      out.put(n.name(), n.macs());
    }
    return out;
  }

  /** Returns the MACs of each operator type that has any, in order of first appearance. */
  public Map<String, Long> macsByOp() {
    Map<String, Long> out = new LinkedHashMap<>();
    for (NodeCost n : weightedLayers()) {
      out.merge(n.opType(), n.macs(), LayerCosts::saturatedSum);
    }
    return out;
  }

  /** Returns the bytes moved by each operator type, in order of first appearance. */
  public Map<String, Long> bytesMovedByOp() {
    Map<String, Long> out = new LinkedHashMap<>();
    for (NodeCost n : nodes) {
      out.merge(n.opType(), n.bytesMoved(), LayerCosts::saturatedSum);
    }
    return out;
  }
}
