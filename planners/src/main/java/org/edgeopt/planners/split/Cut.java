package org.edgeopt.planners.split;

import java.util.List;

/**
 * One place to split a model: the edge runs the first {@code position} nodes of the topological
 * order, the server the rest, and the {@code tensors} live across that point go over the link.
 *
 * <p>Position 0 is cloud-only (the input is sent), position {@code nodeCount} is edge-only
 * (nothing is sent). A cut through a residual block sends every tensor that crosses it.
 *
 * @param position how many nodes, in topological order, run on the edge
 * @param nodeCount the number of nodes in the whole model
 * @param tensors the names of the tensors sent from the edge to the server, in graph order
 * @param lastEdgeNode the name of the last node on the edge (empty for cloud-only)
 */
public record Cut(int position, int nodeCount, List<String> tensors, String lastEdgeNode) {

  public Cut {
    tensors = List.copyOf(tensors);
    if (position < 0 || position > nodeCount) {
      throw new IllegalArgumentException("cut position " + position + " outside 0.." + nodeCount);
    }
  }

  /** Returns whether the whole model runs on the server. */
  public boolean cloudOnly() {
    return position == 0;
  }

  /** Returns whether the whole model runs on the edge and nothing crosses the link. */
  public boolean edgeOnly() {
    return position == nodeCount;
  }

  /** Returns a short label: {@code cloud-only}, {@code edge-only} or {@code after <node>}. */
  public String label() {
    if (cloudOnly()) {
      return "cloud-only";
    }
    return edgeOnly() ? "edge-only" : "after " + lastEdgeNode;
  }
}
