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

  /** Returns the model with the first {@code k} steps applied (with bias compensation where the mode has it). */
  Graph build(int k);

  /** Returns the model with the first {@code k} steps and no bias compensation. */
  Graph buildPlain(int k);

  /** Returns the weighted layers whose outputs the first {@code k} steps change. */
  List<String> changedLayers(int k);

  /** Returns, for channel-pruned layers, the original index of each kept output channel. */
  Map<String, int[]> keptChannels(int k);

  /** Returns the decisions, as of the first {@code k} steps. */
  List<LayerDecision> decisions(int k);

  /** Returns whether the mode has a bias-compensated variant distinct from {@link #buildPlain}. */
  boolean compensates();
}
