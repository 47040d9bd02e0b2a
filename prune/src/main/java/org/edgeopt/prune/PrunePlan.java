package org.edgeopt.prune;

import java.util.List;
import java.util.Map;
import org.edgeopt.core.graph.Graph;

/**
 * The outcome of a pruning search as an ordered list of accepted steps, so the result can be
 * rebuilt with fewer steps when the whole holdout disagrees with the search samples.
 */
interface PrunePlan {
  /** Returns the number of accepted steps. */
  int steps();

  /** Returns the model with the first {@code k} steps applied, as the search measured it. */
  Graph build(int k);

  /** Returns the name of what {@link #build} does beyond pruning, e.g. {@code least-squares} or {@code none}. */
  String method();

  /** Returns other ways to apply the same steps, by name, measured and reported beside {@link #build}. */
  Map<String, Graph> alternatives(int k);

  /** Returns the weighted layers whose outputs the first {@code k} steps change. */
  List<String> changedLayers(int k);

  /** Returns, for channel-pruned layers, the original index of each kept output channel. */
  Map<String, int[]> keptChannels(int k);

  /** Returns the decisions, as of the first {@code k} steps. */
  List<LayerDecision> decisions(int k);
}
