package org.edgeopt.ingest.pass;

import java.util.List;
import org.edgeopt.core.graph.Graph;
import org.edgeopt.core.graph.GraphBuilder;
import org.edgeopt.core.graph.Node;

/** Rebuilds a graph with another node list, keeping everything else. */
final class GraphCopies {
  private GraphCopies() {}

  /**
   * Returns a builder holding the graph's inputs, outputs, initializers, value types and model
   * info but none of its nodes. Edits by node name are unsafe while names may be empty or
   * repeated, so passes that touch many nodes rebuild the node list instead.
   */
  static GraphBuilder withoutNodes(Graph g) {
    GraphBuilder b = new GraphBuilder(g.name(), g.opset()).info(g.info());
    b.setInputs(g.inputs()).setOutputs(g.outputs());
    g.initializers().values().forEach(b::addInitializer);
    g.valueInfo().values().forEach(b::putValueInfo);
    return b;
  }

  /** Returns the graph with its nodes replaced by {@code nodes} (re-sorted and checked). */
  static Graph withNodes(Graph g, List<Node> nodes) {
    GraphBuilder b = withoutNodes(g);
    nodes.forEach(b::addNode);
    return b.build();
  }
}
