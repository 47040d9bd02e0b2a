package org.edgeopt.ingest.pass;

import org.edgeopt.core.EdgeoptException;
import org.edgeopt.core.graph.Graph;

/** One normalisation step: reads a graph and returns a new one with a note of what changed. */
public interface GraphPass {

  /** Returns the pass's short name, e.g. {@code batchnorm-folding}. */
  String name();

  /**
   * Applies the pass.
   *
   * @param graph the graph to rewrite; it is not changed
   * @param where the model's origin (file path), for error messages
   * @return the rewritten graph (or the same one when nothing applied) and a one-line message
   * @throws EdgeoptException (exit 3) when the model cannot be normalised as given
   */
  PassResult apply(Graph graph, String where) throws EdgeoptException;
}
