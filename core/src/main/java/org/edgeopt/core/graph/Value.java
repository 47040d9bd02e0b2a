package org.edgeopt.core.graph;

import java.util.Objects;

/**
 * A named tensor value of a graph: an input, an output or an intermediate result.
 *
 * @param name the unique name within the graph
 * @param type the type, or null when not inferred
 */
public record Value(String name, TensorType type) {
  public Value {
    Objects.requireNonNull(name, "name");
  }

  /** Returns whether the type is known. */
  public boolean hasType() {
    return type != null;
  }
}
