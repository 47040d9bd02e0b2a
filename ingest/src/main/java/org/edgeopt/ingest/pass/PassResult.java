package org.edgeopt.ingest.pass;

import java.util.Objects;
import org.edgeopt.core.graph.Graph;

/**
 * What one pass produced: the rewritten graph and a one-line message for the model card.
 *
 * @param graph the graph after the pass
 * @param changed whether the pass rewrote anything
 * @param message what the pass did, starting with its name, e.g. {@code dropout-identity-removal: removed 1 Dropout}
 */
public record PassResult(Graph graph, boolean changed, String message) {
  public PassResult {
    Objects.requireNonNull(graph, "graph");
    Objects.requireNonNull(message, "message");
  }
}
