package org.edgeopt.validate;

import java.util.ArrayList;
import java.util.List;
import org.edgeopt.core.EdgeoptException;
import org.edgeopt.core.graph.Tensor;

/**
 * Collects the drift figures over the holdout one batch at a time: accuracy, agreement, per-class
 * counts and confidence for classifiers, and the element-wise output comparison for every model.
 */
final class DriftAccumulator {
  /** Bins of the confidence histograms over [0, 1]. */
  static final int BINS = 20;
  private static final int TOP_K = 5;

  private final boolean classification;
  private final List<String> classNames;
  private final String holdoutWhere;
  private final ErrorAccumulator outputs;
  private final Double tolerance;
  private String candidateNonFinite;
  private long candidateNonFiniteValues;
  private int values = -1;
  private int samples;
  private int refCorrect;
  private int candCorrect;
  private int refTopK;
  private int candTopK;
  private int agreeing;
  private int[] classSamples;
  private int[] classRefCorrect;
  private int[] classCandCorrect;
  private final Confidences refConf = new Confidences();
  private final Confidences candConf = new Confidences();

  /** The confidence figures of one model. */
  private static final class Confidences {
    Boolean probabilities;
    double sum;
    double sumCorrect;
    int correct;
    double sumWrong;
    int wrong;
    final int[] histogram = new int[BINS];

    void add(float[] v, int offset, int classes, boolean hit) {
      if (probabilities == null) {
        probabilities = DriftMetrics.isProbabilityRow(v, offset, classes);
      }
      double max;
      if (probabilities) {
        max = 0;
        for (int c = 0; c < classes; c++) {
          max = Math.max(max, v[offset + c]);
        }
      } else {
        max = 0;
        for (double p : DriftMetrics.softmax(v, offset, classes)) {
          max = Math.max(max, p);
        }
      }
      sum += max;
      histogram[DriftMetrics.bin(max, BINS)]++;
      if (hit) {
        sumCorrect += max;
        correct++;
      } else {
        sumWrong += max;
        wrong++;
      }
    }

    ValidationReport.ConfidenceStats stats(int n) {
      List<Integer> h = new ArrayList<>();
      for (int c : histogram) {
        h.add(c);
      }
      return new ValidationReport.ConfidenceStats(n == 0 ? 0 : sum / n, correct == 0 ? 0 : sumCorrect / correct,
          wrong == 0 ? 0 : sumWrong / wrong, h);
    }

    String source() {
      return Boolean.TRUE.equals(probabilities) ? "output" : "softmax";
    }
  }

  /**
   * Creates an accumulator.
   *
   * @param classification whether outputs are class scores
   * @param classNames the class names, or empty
   * @param tolerance the allowed absolute output difference, or null
   * @param holdoutWhere the holdout's path, for error messages
   */
  DriftAccumulator(boolean classification, List<String> classNames, Double tolerance, String holdoutWhere) {
    this.classification = classification;
    this.classNames = classNames;
    this.tolerance = tolerance;
    this.holdoutWhere = holdoutWhere;
    this.outputs = tolerance == null ? new ErrorAccumulator() : ErrorAccumulator.withTolerance(tolerance);
  }

  /**
   * Adds one batch.
   *
   * @param labels the batch's labels
   * @param ref the reference's output for the batch
   * @param cand the candidate's output for the batch
   * @throws EdgeoptException if the outputs do not fit the batch or each other, or a label is not
   *     a class the model can output
   */
  void add(int[] labels, Tensor ref, Tensor cand) throws EdgeoptException {
    float[] r = ref.toFloats();
    float[] c = cand.toFloats();
    int n = labels.length;
    if (r.length % n != 0 || r.length != c.length) {
      throw EdgeoptException.invalid("the candidate's output has " + c.length + " values for a batch of " + n
          + " samples, the reference's " + r.length + ": expected the same number per sample");
    }
    int per = r.length / n;
    if (values < 0) {
      start(per);
    }
    int bad = firstNonFinite(r);
    if (bad >= 0) {
      // A reference that is not finite has no answer to compare with: the run says so instead of
      // a verdict, as NaN compares false with every threshold and would read as agreement.
      throw EdgeoptException.invalid("the reference's output '" + ref.name() + "' is " + r[bad] + " at value " + (bad % per)
          + " of sample " + (samples + bad / per) + " of " + holdoutWhere + ": expected finite outputs from the reference");
    }
    bad = firstNonFinite(c);
    if (bad >= 0) {
      if (candidateNonFinite == null) {
        candidateNonFinite = "candidate output '" + cand.name() + "' is " + c[bad] + " at value " + (bad % per)
            + " of sample " + (samples + bad / per);
      }
      for (float v : c) {
        candidateNonFiniteValues += Float.isFinite(v) ? 0 : 1;
      }
    }
    outputs.add(r, c);
    if (!classification) {
      samples += n;
      return;
    }
    for (int i = 0; i < n; i++) {
      int label = labels[i];
      int sample = samples + i;
      if (label < 0 || label >= per) {
        throw EdgeoptException.invalid(holdoutWhere + ": sample " + sample + " has label " + label
            + ", which is not a class the model can output (expected 0.." + (per - 1) + " for its " + per + " classes)");
      }
      int off = i * per;
      int rp = argmax(r, off, per);
      int cp = argmax(c, off, per);
      boolean rHit = rp == label;
      boolean cHit = cp == label;
      refCorrect += rHit ? 1 : 0;
      candCorrect += cHit ? 1 : 0;
      agreeing += rp == cp ? 1 : 0;
      int k = Math.min(TOP_K, per);
      refTopK += DriftMetrics.inTopK(r, off, per, label, k) ? 1 : 0;
      candTopK += DriftMetrics.inTopK(c, off, per, label, k) ? 1 : 0;
      classSamples[label]++;
      classRefCorrect[label] += rHit ? 1 : 0;
      classCandCorrect[label] += cHit ? 1 : 0;
      refConf.add(r, off, per, rHit);
      candConf.add(c, off, per, cHit);
    }
    samples += n;
  }

  private void start(int per) throws EdgeoptException {
    values = per;
    if (classification && per < 2) {
      throw EdgeoptException.invalid("the model outputs " + per + " value per sample: expected at least 2 class scores "
          + "for classification (use the regression task with an output tolerance instead)");
    }
    if (classification && !classNames.isEmpty() && classNames.size() != per) {
      throw EdgeoptException.invalid(holdoutWhere + ": " + classNames.size() + " class names were given but the model outputs "
          + per + " classes: expected one name per class");
    }
    classSamples = new int[per];
    classRefCorrect = new int[per];
    classCandCorrect = new int[per];
  }

  /** Returns the index of the first NaN or infinite value, or -1. */
  static int firstNonFinite(float[] v) {
    for (int i = 0; i < v.length; i++) {
      if (!Float.isFinite(v[i])) {
        return i;
      }
    }
    return -1;
  }

  /** Returns where the candidate first gave a NaN or infinite output, or null when it never did. */
  String candidateNonFinite() {
    return candidateNonFinite;
  }

  /** Returns how many of the candidate's output values were NaN or infinite. */
  long candidateNonFiniteValues() {
    return candidateNonFiniteValues;
  }

  private static int argmax(float[] v, int off, int n) {
    int best = 0;
    for (int i = 1; i < n; i++) {
      if (v[off + i] > v[off + best]) {
        best = i;
      }
    }
    return best;
  }

  /** Returns the number of samples added. */
  int samples() {
    return samples;
  }

  /** Returns the number of output values per sample, or -1 before the first batch. */
  int valuesPerSample() {
    return values;
  }

  /** Returns the classification figures, or null for a regression output. */
  ValidationReport.Classification classification() {
    if (!classification || samples == 0) {
      return null;
    }
    List<ValidationReport.ClassAccuracy> perClass = new ArrayList<>();
    for (int c = 0; c < values; c++) {
      if (classSamples[c] == 0) {
        continue;
      }
      double rt = pct(classRefCorrect[c], classSamples[c]);
      double ct = pct(classCandCorrect[c], classSamples[c]);
      perClass.add(new ValidationReport.ClassAccuracy(c, classNames.isEmpty() ? Integer.toString(c) : classNames.get(c),
          classSamples[c], classRefCorrect[c], classCandCorrect[c], rt, ct,
          100.0 * (classRefCorrect[c] - classCandCorrect[c]) / classSamples[c]));
    }
    return new ValidationReport.Classification(samples, values, Math.min(TOP_K, values), refCorrect, candCorrect, refTopK,
        candTopK, agreeing, pct(refCorrect, samples), pct(candCorrect, samples), pct(refTopK, samples),
        pct(candTopK, samples), 100.0 * (refCorrect - candCorrect) / samples, pct(agreeing, samples), perClass);
  }

  /** Returns the element-wise output comparison. */
  ValidationReport.OutputComparison outputs() {
    return new ValidationReport.OutputComparison(outputs.count(), outputs.cosine(), outputs.sqnrDb(), outputs.maxAbs(),
        outputs.meanAbs(), tolerance, tolerance == null ? 0 : outputs.overTolerance());
  }

  /** Returns the confidence distributions, or null for a regression output. */
  ValidationReport.Confidence confidence() {
    if (!classification || samples == 0) {
      return null;
    }
    String source = refConf.source().equals(candConf.source()) ? refConf.source()
        : "reference " + refConf.source() + ", candidate " + candConf.source();
    ValidationReport.ConfidenceStats r = refConf.stats(samples);
    ValidationReport.ConfidenceStats c = candConf.stats(samples);
    return new ValidationReport.Confidence(source, BINS, r, c, c.mean() - r.mean());
  }

  private static double pct(int part, int whole) {
    return whole == 0 ? 0 : 100.0 * part / whole;
  }
}
