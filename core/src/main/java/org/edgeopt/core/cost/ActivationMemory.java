package org.edgeopt.core.cost;

import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import org.edgeopt.core.graph.Graph;
import org.edgeopt.core.graph.Node;
import org.edgeopt.core.graph.Value;

/**
 * Finds the peak of live activation memory when the nodes run one by one in topological order.
 *
 * <p>A value is live from the node that produces it (graph inputs from the start) until its last
 * reader has run; graph outputs stay live to the end. A node's inputs and outputs are live
 * together while it runs, which is when the peak is measured. Weights are not activations and
 * are not counted.
 */
public final class ActivationMemory {
  private ActivationMemory() {}

  /** Returns the peak of live activation bytes at batch 1 and the node at which it is reached. */
  public static ActivationPeak peak(Graph g) {
    Map<String, Integer> lastUse = new HashMap<>();
    for (int i = 0; i < g.nodes().size(); i++) {
      for (String in : g.nodes().get(i).inputs()) {
        lastUse.put(in, i);
      }
    }
    Set<String> outputs = new HashSet<>();
    g.outputs().forEach(v -> outputs.add(v.name()));
    Map<String, Long> live = new HashMap<>();
    long current = 0;
    for (Value v : g.inputs()) {
      long b = LayerCosts.bytes(g, v.name());
      live.put(v.name(), b);
      current = LayerCosts.saturatedSum(current, b);
    }
    long peak = current;
    String where = g.nodes().isEmpty() ? "" : g.nodes().get(0).name();
    int liveAtPeak = live.size();
    for (int i = 0; i < g.nodes().size(); i++) {
      Node n = g.nodes().get(i);
      for (String o : n.outputs()) {
        if (!o.isEmpty() && !live.containsKey(o)) {
          long b = LayerCosts.bytes(g, o);
          live.put(o, b);
          current = LayerCosts.saturatedSum(current, b);
        }
      }
      if (current > peak) {
        peak = current;
        where = n.name();
        liveAtPeak = live.size();
      }
      for (String v : Set.copyOf(live.keySet())) {
        if (!outputs.contains(v) && lastUse.getOrDefault(v, -1) <= i) {
          long freed = live.remove(v);
          // Past Long.MAX_VALUE the running total is unknown; the peak already says "too much".
          current = current == Long.MAX_VALUE ? current : current - freed;
        }
      }
    }
    return new ActivationPeak(peak, where, liveAtPeak);
  }
}
