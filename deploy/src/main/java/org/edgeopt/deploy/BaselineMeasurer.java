package org.edgeopt.deploy;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.edgeopt.core.EdgeoptException;
import org.edgeopt.core.data.DataException;
import org.edgeopt.core.data.Dataset;
import org.edgeopt.core.data.Datasets;
import org.edgeopt.core.data.Preprocessing;
import org.edgeopt.core.eval.BatchRunner;
import org.edgeopt.core.runtime.InferenceSession;
import org.edgeopt.core.runtime.Runtimes;
import org.edgeopt.core.runtime.SessionOptions;

/**
 * Measures a {@link Baseline} by running the shipped model over the labelled holdout with the
 * same runtime the rest of edgeopt uses (ONNX Runtime with exact INT8 arithmetic, one thread),
 * so the reference distributions are those of the artifact the devices get.
 */
public final class BaselineMeasurer {
  private BaselineMeasurer() {}

  /**
   * Runs {@code model} over {@code holdout}.
   *
   * @param preprocess the preprocessing spec the devices apply too
   * @param classNames class names by label, or empty
   * @param labelColumn the label column of a CSV holdout, or {@code null}
   * @param latency the validating host's latency (from the validation report), or {@code null}
   * @throws EdgeoptException (exit 3) when the model or data cannot be used
   */
  public static Baseline measure(
      Path model,
      Path holdout,
      String preprocess,
      List<String> classNames,
      String labelColumn,
      Baseline.Latency latency)
      throws EdgeoptException {
    try {
      return run(model, holdout, preprocess, classNames, labelColumn, latency);
    } catch (DataException e) {
      throw EdgeoptException.invalid(e.getMessage(), e);
    }
  }

  private static Baseline run(
      Path model,
      Path holdout,
      String preprocess,
      List<String> classNames,
      String labelColumn,
      Baseline.Latency latency)
      throws EdgeoptException {
    Preprocessing pre = Preprocessing.parse(preprocess == null ? "" : preprocess);
    Dataset data =
        Datasets.open(holdout, pre, classNames.isEmpty() ? null : classNames, labelColumn);
    long[] conf = new long[ConfidenceBins.COUNT];
    long[] margin = new long[ConfidenceBins.COUNT];
    long[][] counts = {null};
    int[][] perClass = {null, null};
    double[] sums = new double[2];
    int[] n = new int[2];
    boolean[] probabilities = {false};
    try (InferenceSession session =
        Runtimes.forModel(model, List.of("input"))
            .open(model, SessionOptions.defaults().withThreads(1))) {
      BatchRunner.run(
          session,
          data,
          64,
          Integer.MAX_VALUE,
          (batch, output) -> {
            float[] v = output.toFloats();
            // One sample's class scores, whatever trailing 1s the head keeps ([N, C, 1, 1]).
            int classes = v.length / batch.size();
            if (classes < 2) {
              throw EdgeoptException.invalid(
                  model
                      + ": output '"
                      + output.name()
                      + "' has "
                      + classes
                      + " value(s) per sample: expected class scores (2 or more) for a classifier's baseline");
            }
            if (counts[0] == null) {
              counts[0] = new long[classes];
              perClass[0] = new int[classes];
              perClass[1] = new int[classes];
              // Decided once for the model, on its first batch (see Scores.probabilityOutput).
              probabilities[0] = Scores.probabilityOutput(v);
            }
            for (int i = 0; i < batch.size(); i++) {
              Scores.Prediction p = Scores.of(v, i * classes, classes, probabilities[0]);
              conf[ConfidenceBins.of(p.confidence())]++;
              margin[ConfidenceBins.of(p.margin())]++;
              counts[0][p.predicted()]++;
              sums[0] += p.confidence();
              sums[1] += p.confidence() * p.confidence();
              int label = batch.labels()[i];
              if (label < 0 || label >= classes) {
                throw EdgeoptException.invalid(
                    holdout
                        + ": sample "
                        + n[0]
                        + " has label "
                        + label
                        + ": expected a class in 0.."
                        + (classes - 1)
                        + " (the model's outputs)");
              }
              perClass[0][label]++;
              if (label == p.predicted()) {
                perClass[1][label]++;
                n[1]++;
              }
              n[0]++;
            }
          });
    }
    if (n[0] == 0) {
      throw EdgeoptException.invalid(
          holdout + ": the holdout yielded no samples: expected at least one");
    }
    double mean = sums[0] / n[0];
    double sd = Math.sqrt(Math.max(0, sums[1] / n[0] - mean * mean));
    List<Baseline.ClassAccuracy> accuracy = new ArrayList<>();
    for (int c = 0; c < counts[0].length; c++) {
      accuracy.add(
          new Baseline.ClassAccuracy(
              c,
              c < classNames.size() ? classNames.get(c) : Integer.toString(c),
              perClass[0][c],
              perClass[1][c]));
    }
    return new Baseline(
        model.getFileName() + " on " + data.describe(),
        n[0],
        classNames,
        boxed(conf),
        boxed(margin),
        boxed(counts[0]),
        round(mean),
        round(sd),
        n[1],
        accuracy,
        latency);
  }

  private static List<Long> boxed(long[] v) {
    List<Long> out = new ArrayList<>(v.length);
    for (long x : v) {
      out.add(x);
    }
    return out;
  }

  /** Rounds to 9 decimals, so the last bits of a float sum cannot make two runs' JSON differ. */
  static double round(double v) {
    return Math.round(v * 1e9) / 1e9;
  }
}
