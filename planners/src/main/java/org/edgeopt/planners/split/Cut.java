package org.edgeopt.planners.split;

import java.util.List;

/**
 * One place to split a model: a set of nodes closed under producers runs on the edge, the rest on
 * the server, and the {@code tensors} the edge has (its results and the model inputs) that a
 * server node reads go over the link.
 *
 * <p>The empty set is cloud-only (the inputs are sent), the whole set edge-only (nothing is sent).
 * A cut through a residual block or between parallel branches sends every tensor that crosses it;
 * a model input that only the server reads is sent by the device as it is.
 *
 * @param edgeNodes the indices, in the graph's node list and ascending, of the compute nodes that
 *     run on the edge; nodes computed from weights alone are not listed (each part recomputes
 *     those it needs)
 * @param computeNodes the number of compute nodes (nodes not computed from weights alone) in the model
 * @param tensors the names of the tensors sent from the edge to the server, in graph order
 * @param frontier the names of the last edge nodes (those no other edge node reads), in graph order
 */
public record Cut(
    List<Integer> edgeNodes, int computeNodes, List<String> tensors, List<String> frontier) {

  public Cut {
    edgeNodes = List.copyOf(edgeNodes);
    tensors = List.copyOf(tensors);
    frontier = List.copyOf(frontier);
    if (edgeNodes.size() > computeNodes) {
      throw new IllegalArgumentException(
          "cut with " + edgeNodes.size() + " edge nodes of " + computeNodes);
    }
  }

  /** Returns whether the whole model runs on the server. */
  public boolean cloudOnly() {
    return edgeNodes.isEmpty();
  }

  /** Returns whether the whole model runs on the edge and nothing crosses the link. */
  public boolean edgeOnly() {
    return edgeNodes.size() == computeNodes;
  }

  /** Returns a short label: {@code cloud-only}, {@code edge-only} or {@code after <node> + <node>}. */
  public String label() {
    if (cloudOnly()) {
      return "cloud-only";
    }
    return edgeOnly() ? "edge-only" : "after " + String.join(" + ", frontier);
  }
}
