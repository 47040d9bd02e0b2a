package org.edgeopt.ingest.pass;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.edgeopt.core.graph.Graph;
import org.edgeopt.core.graph.Node;
import org.edgeopt.core.graph.Tensor;

/**
 * Removes {@code Identity} nodes and inference-time {@code Dropout} nodes, rewiring their readers
 * to the input.
 *
 * <p>Graph output names never change: when the removed node produced a graph output, the node
 * that produced its input is renamed to produce the output instead. A {@code Dropout} whose mask
 * is read, or whose {@code training_mode} is not a constant false, is kept: it is not an
 * identity then.
 */
public final class DropoutIdentityRemoval implements GraphPass {

  @Override
  public String name() {
    return "dropout-identity-removal";
  }

  @Override
  public PassResult apply(Graph graph, String where) {
    List<Node> nodes = new ArrayList<>(graph.nodes());
    Set<String> outputs = new HashSet<>();
    graph.outputs().forEach(v -> outputs.add(v.name()));
    Set<String> sources = new HashSet<>(graph.initializers().keySet());
    graph.inputs().forEach(v -> sources.add(v.name()));
    int identities = 0;
    int dropouts = 0;
    int kept = 0;
    int i = 0;
    while (i < nodes.size()) {
      Node n = nodes.get(i);
      if (!isPlainIdentity(n, graph, nodes, outputs)) {
        i++;
        continue;
      }
      String in = n.input(0);
      String out = n.output();
      if (!outputs.contains(out)) {
        nodes.remove(i);
        rename(nodes, out, in);
      } else {
        int producer = producerIndex(nodes, in);
        if (in.isEmpty() || sources.contains(in) || outputs.contains(in) || producer < 0) {
          // The output must keep its name and its value comes straight from a graph input,
          // an initializer or another output: only this node can give it that name.
          kept++;
          i++;
          continue;
        }
        nodes.remove(i);
        Node p = nodes.get(producer);
        List<String> pOut = new ArrayList<>(p.outputs());
        pOut.replaceAll(s -> s.equals(in) ? out : s);
        nodes.set(producer, p.withOutputs(pOut));
        rename(nodes, in, out);
      }
      if (n.opType().equals("Identity")) {
        identities++;
      } else {
        dropouts++;
      }
    }
    if (identities + dropouts == 0) {
      return new PassResult(
          graph,
          false,
          name()
              + ": no Dropout or Identity nodes"
              + (kept > 0 ? " removable (" + kept + " kept to hold graph output names)" : ""));
    }
    Graph g = GraphCopies.withNodes(graph, nodes);
    return new PassResult(
        g,
        true,
        name()
            + ": removed "
            + dropouts
            + " Dropout and "
            + identities
            + " Identity nodes"
            + (kept > 0 ? " (" + kept + " kept to hold graph output names)" : ""));
  }

  private static boolean isPlainIdentity(
      Node n, Graph graph, List<Node> nodes, Set<String> outputs) {
    if (!n.domain().isEmpty() && !n.domain().equals("ai.onnx")) {
      return false;
    }
    if (n.opType().equals("Identity")) {
      return n.inputs().size() == 1 && n.outputs().size() == 1;
    }
    if (!n.opType().equals("Dropout") || n.inputs().isEmpty() || n.outputs().isEmpty()) {
      return false;
    }
    if (n.outputs().size() > 1) {
      String mask = n.outputs().get(1);
      if (!mask.isEmpty()
          && (outputs.contains(mask) || nodes.stream().anyMatch(m -> m.inputs().contains(mask)))) {
        return false;
      }
    }
    String trainingMode = n.input(2);
    if (!trainingMode.isEmpty()) {
      Tensor t = graph.initializers().get(trainingMode);
      return t != null && t.elementCount() == 1 && t.toLongs()[0] == 0;
    }
    return true;
  }

  private static int producerIndex(List<Node> nodes, String value) {
    for (int i = 0; i < nodes.size(); i++) {
      if (nodes.get(i).outputs().contains(value)) {
        return i;
      }
    }
    return -1;
  }

  private static void rename(List<Node> nodes, String from, String to) {
    for (int i = 0; i < nodes.size(); i++) {
      Node n = nodes.get(i);
      if (n.inputs().contains(from)) {
        List<String> in = new ArrayList<>(n.inputs());
        in.replaceAll(s -> s.equals(from) ? to : s);
        nodes.set(i, n.withInputs(in));
      }
    }
  }
}
