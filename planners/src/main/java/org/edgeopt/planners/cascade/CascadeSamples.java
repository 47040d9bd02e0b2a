package org.edgeopt.planners.cascade;

import org.edgeopt.core.EdgeoptException;
import org.edgeopt.core.data.Dataset;
import org.edgeopt.core.eval.BatchRunner;
import org.edgeopt.core.runtime.InferenceSession;

/**
 * Both models' answers on the holdout: labels, each model's top-1, and the small model's
 * confidence under every signal.
 *
 * @param labels the true class of each sample
 * @param small the small model's top-1 per sample
 * @param large the large model's top-1 per sample
 * @param scores the small model's confidence per signal (by ordinal), per sample
 * @param classes the number of classes
 */
public record CascadeSamples(
    int[] labels, int[] small, int[] large, double[][] scores, int classes) {

  /** Runs both sessions on the first {@code limit} samples of {@code data}. */
  public static CascadeSamples collect(
      InferenceSession smallModel,
      InferenceSession largeModel,
      Dataset data,
      int limit,
      int batchSize)
      throws EdgeoptException {
    int n = Math.min(limit, data.size());
    int[] labels = new int[n];
    int[] small = new int[n];
    int[] large = new int[n];
    double[][] scores = new double[ConfidenceSignal.values().length][n];
    int[] classes = {0};
    int[] at = {0};
    BatchRunner.run(
        smallModel,
        data,
        batchSize,
        n,
        (b, out) -> {
          float[] v = out.toFloats();
          // One sample's class scores, whatever trailing 1s the head keeps ([N, C, 1, 1]).
          int k = v.length / b.size();
          classes[0] = k;
          for (int i = 0; i < b.size(); i++, at[0]++) {
            double[] p = ConfidenceSignal.probabilities(v, i * k, k);
            labels[at[0]] = b.labels()[i];
            small[at[0]] = ConfidenceSignal.argmax(p);
            for (ConfidenceSignal s : ConfidenceSignal.values()) {
              scores[s.ordinal()][at[0]] = s.score(p);
            }
          }
        });
    int[] at2 = {0};
    BatchRunner.run(
        largeModel,
        data,
        batchSize,
        n,
        (b, out) -> {
          for (int p : BatchRunner.top1(out)) {
            large[at2[0]++] = p;
          }
        });
    if (at[0] != n || at2[0] != n) {
      throw EdgeoptException.invalid(
          data.describe()
              + ": expected "
              + n
              + " samples from both models, found "
              + at[0]
              + " and "
              + at2[0]);
    }
    return new CascadeSamples(labels, small, large, scores, classes[0]);
  }

  /** Returns the number of samples. */
  public int size() {
    return labels.length;
  }
}
