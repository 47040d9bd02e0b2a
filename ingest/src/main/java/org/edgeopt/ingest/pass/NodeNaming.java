package org.edgeopt.ingest.pass;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.edgeopt.core.graph.Graph;
import org.edgeopt.core.graph.Node;

/**
 * Gives every unnamed node a unique name derived from its first output.
 *
 * <p>Many exporters (onnx-caffe2, for one) leave node names empty; later passes edit nodes by
 * name and error messages must be able to point at a node, so names come first.
 */
public final class NodeNaming implements GraphPass {

  @Override
  public String name() {
    return "node-naming";
  }

  @Override
  public PassResult apply(Graph graph, String where) {
    Set<String> taken = new HashSet<>();
    graph.nodes().forEach(n -> taken.add(n.name()));
    List<Node> renamed = new ArrayList<>(graph.nodes().size());
    int count = 0;
    for (Node n : graph.nodes()) {
      if (!n.name().isEmpty()) {
        renamed.add(n);
        continue;
      }
      String out = n.outputs().isEmpty() || n.output().isEmpty() ? n.opType() : n.output();
      String base = n.opType() + "_" + out;
      String candidate = base;
      for (int i = 1; taken.contains(candidate); i++) {
        candidate = base + "_" + i;
      }
      taken.add(candidate);
      renamed.add(
          new Node(candidate, n.opType(), n.domain(), n.inputs(), n.outputs(), n.attributes()));
      count++;
    }
    if (count == 0) {
      return new PassResult(graph, false, name() + ": every node already has a name");
    }
    return new PassResult(
        GraphCopies.withNodes(graph, renamed),
        true,
        name() + ": named " + count + " unnamed node" + (count == 1 ? "" : "s"));
  }
}
