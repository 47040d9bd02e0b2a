package org.edgeopt.prune;

import org.edgeopt.core.graph.Graph;

/**
 * A pruned model and the report of how it was made.
 *
 * @param graph the pruned model, checked by the ONNX checker, with provenance in its metadata
 * @param report what was pruned, measured accuracy, cost and latency
 */
public record PruneResult(Graph graph, PruneReport report) {}
