package org.edgeopt.prune;

import org.edgeopt.core.EdgeoptException;
import org.edgeopt.core.data.Dataset;
import org.edgeopt.core.eval.BatchRunner;
import org.edgeopt.core.graph.Graph;
import org.edgeopt.core.runtime.InferenceSession;
import org.edgeopt.core.runtime.OrtRuntime;
import org.edgeopt.core.runtime.SessionOptions;

/**
 * Measures top-1 accuracy of candidate graphs on a labelled holdout set in ONNX Runtime.
 *
 * @param data the labelled samples
 * @param batchSize the batch size (a model with a fixed batch dimension gets its own)
 * @param limit how many samples to use at most
 */
public record HoldoutEvaluator(Dataset data, int batchSize, int limit) {

  /** Returns the number of samples evaluated. */
  public int samples() {
    return Math.min(limit, data.size());
  }

  /** Returns the number of correct top-1 predictions of {@code g}. */
  public int correct(Graph g) throws EdgeoptException {
    try (InferenceSession s = OrtRuntime.get().open(g, SessionOptions.defaults())) {
      return BatchRunner.correctTop1(s, data, batchSize, limit);
    }
  }

  /** Returns the top-1 accuracy of {@code g} in percent. */
  public double top1(Graph g) throws EdgeoptException {
    return 100.0 * correct(g) / samples();
  }
}
