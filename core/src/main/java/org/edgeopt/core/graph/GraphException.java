package org.edgeopt.core.graph;

/** A graph that is not well formed: a bad node, a dangling input, a cycle. */
public class GraphException extends IllegalArgumentException {
  private static final long serialVersionUID = 1L;

  /** Creates the exception with a message naming the node or value at fault. */
  public GraphException(String message) {
    super(message);
  }
}
