package org.edgeopt.core.graph;

import java.util.Optional;

/**
 * Turns {@code Constant} nodes into initializers, so that passes and lowerings see Clip bounds,
 * reshape targets and the like as constants whether the exporter wrote them as initializers or
 * (as PyTorch does) as {@code Constant} nodes.
 */
public final class ConstantNodes {
  private ConstantNodes() {}

  /** Returns the graph with every tensor-valued default-domain Constant node lifted; the same graph when none. */
  public static Graph lift(Graph g) {
    GraphBuilder b = g.toBuilder();
    boolean changed = false;
    for (Node n : g.nodes()) {
      if (!n.opType().equals("Constant") || !n.domain().isEmpty() || g.isOutput(n.output())) {
        continue;
      }
      Optional<Attribute> value = n.attribute("value");
      if (value.isEmpty() || value.get().kind() != Attribute.Kind.TENSOR) {
        continue;
      }
      b.removeNode(n.name());
      b.addInitializer(value.get().asTensor().withName(n.output()));
      changed = true;
    }
    return changed ? b.build() : g;
  }
}
