package org.edgeopt.ingest;

import java.util.List;
import java.util.Objects;
import org.edgeopt.core.graph.Graph;

/**
 * What {@link Ingestor} produced: the normalised graph and its description.
 *
 * @param graph the normalised FP32 graph (checked, shapes inferred)
 * @param card the model card describing it
 * @param fidelity the export-fidelity check against the TorchScript reference, or null when none was asked for
 * @param passes one message per normalisation pass, in the order they ran
 */
public record IngestResult(
    Graph graph, ModelCard card, FidelityCheck fidelity, List<String> passes) {
  public IngestResult {
    Objects.requireNonNull(graph, "graph");
    Objects.requireNonNull(card, "card");
    passes = List.copyOf(passes);
  }
}
