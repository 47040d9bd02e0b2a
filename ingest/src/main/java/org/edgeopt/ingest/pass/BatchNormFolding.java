package org.edgeopt.ingest.pass;

import org.edgeopt.core.graph.Graph;

/**
 * Folds each inference-mode {@code BatchNormalization} into the {@code Conv} before it, through
 * the core {@link org.edgeopt.core.graph.BatchNormFolding} that the quantizer uses too.
 *
 * <p>With {@code f = scale / sqrt(var + epsilon)} per output channel, the folded convolution has
 * weights {@code W * f} and bias {@code (b - mean) * f + B}; the arithmetic is done in double
 * and rounded once to float. A fold is made only when the Conv output feeds nothing but the
 * BatchNormalization (and is not a graph output) and every parameter is a float initializer;
 * weights shared with another node get a new initializer rather than being changed under it.
 */
public final class BatchNormFolding implements GraphPass {

  @Override
  public String name() {
    return "batchnorm-folding";
  }

  @Override
  public PassResult apply(Graph graph, String where) {
    org.edgeopt.core.graph.BatchNormFolding.Result r =
        org.edgeopt.core.graph.BatchNormFolding.fold(graph);
    if (r.folded().isEmpty()) {
      return new PassResult(
          graph,
          false,
          name()
              + ": no foldable BatchNormalization"
              + (r.kept() > 0
                  ? " ("
                      + r.kept()
                      + " kept: not after a Conv with constant weights and a sole reader)"
                  : ""));
    }
    return new PassResult(
        r.graph(),
        true,
        name()
            + ": folded "
            + r.folded().size()
            + " BatchNormalization into Conv"
            + (r.kept() > 0 ? " (" + r.kept() + " kept)" : ""));
  }
}
