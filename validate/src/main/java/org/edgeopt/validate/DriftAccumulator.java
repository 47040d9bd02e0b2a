package org.edgeopt.validate;

import java.util.ArrayList;
import java.util.List;
import org.edgeopt.core.EdgeoptException;
import org.edgeopt.core.graph.Tensor;

/**
 * Collects the drift figures over the holdout one batch at a time: accuracy, agreement, per-class
 * counts and confidence for classifiers, and the element-wise output comparison for every model.
 *
 * <p>Every figure is a count, an extreme or an exact sum ({@link ExactSum}), so the report does not
 * depend on the order the samples came in: accumulators folded over parts of the holdout (Spark
 * partitions) {@link #merge merge} into exactly what one pass over the whole holdout holds, and
 * {@link DriftCodec} carries them between machines.
 */
public final class DriftAccumulator {
  /** Bins of the confidence histograms over [0, 1]. */
  static final int BINS = 20;

  private static final int TOP_K = 5;

  private final boolean classification;
  private final List<String> classNames;
  private final String holdoutWhere;
  private ErrorAccumulator outputs;
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
  private Confidences refConf = new Confidences();
  private Confidences candConf = new Confidences();

  /** The confidence figures of one model. */
  static final class Confidences {
    Boolean probabilities;
    final ExactSum sum = new ExactSum();
    final ExactSum sumCorrect = new ExactSum();
    int correct;
    final ExactSum sumWrong = new ExactSum();
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
      sum.add(max);
      histogram[DriftMetrics.bin(max, BINS)]++;
      if (hit) {
        sumCorrect.add(max);
        correct++;
      } else {
        sumWrong.add(max);
        wrong++;
      }
    }

    /** Adds {@code o}'s figures; where this one has not decided how to read rows, it takes {@code o}'s way. */
    void merge(Confidences o) {
      probabilities = probabilities == null ? o.probabilities : probabilities;
      sum.add(o.sum);
      sumCorrect.add(o.sumCorrect);
      correct += o.correct;
      sumWrong.add(o.sumWrong);
      wrong += o.wrong;
      for (int i = 0; i < BINS; i++) {
        histogram[i] += o.histogram[i];
      }
    }

    void write(java.io.DataOutputStream out) throws java.io.IOException {
      out.writeByte(probabilities == null ? 2 : probabilities ? 1 : 0);
      sum.write(out);
      sumCorrect.write(out);
      out.writeInt(correct);
      sumWrong.write(out);
      out.writeInt(wrong);
      for (int h : histogram) {
        out.writeInt(h);
      }
    }

    static Confidences read(java.io.DataInputStream in) throws java.io.IOException {
      Confidences c = new Confidences();
      int p = in.readUnsignedByte();
      c.probabilities = p == 2 ? null : p == 1;
      c.sum.add(ExactSum.read(in));
      c.sumCorrect.add(ExactSum.read(in));
      c.correct = in.readInt();
      c.sumWrong.add(ExactSum.read(in));
      c.wrong = in.readInt();
      for (int i = 0; i < BINS; i++) {
        c.histogram[i] = in.readInt();
      }
      return c;
    }

    ValidationReport.ConfidenceStats stats(int n) {
      List<Integer> h = new ArrayList<>();
      for (int c : histogram) {
        h.add(c);
      }
      return new ValidationReport.ConfidenceStats(
          n == 0 ? 0 : sum.value() / n,
          correct == 0 ? 0 : sumCorrect.value() / correct,
          wrong == 0 ? 0 : sumWrong.value() / wrong,
          h);
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
  DriftAccumulator(
      boolean classification, List<String> classNames, Double tolerance, String holdoutWhere) {
    this.classification = classification;
    this.classNames = List.copyOf(classNames);
    this.tolerance = tolerance;
    this.holdoutWhere = holdoutWhere;
    this.outputs =
        tolerance == null ? new ErrorAccumulator() : ErrorAccumulator.withTolerance(tolerance);
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
      throw EdgeoptException.invalid(
          "the candidate's output has "
              + c.length
              + " values for a batch of "
              + n
              + " samples, the reference's "
              + r.length
              + ": expected the same number per sample");
    }
    int per = r.length / n;
    if (values < 0) {
      start(per);
    }
    int bad = firstNonFinite(r);
    if (bad >= 0) {
      // A reference that is not finite has no answer to compare with: the run says so instead of
      // a verdict, as NaN compares false with every threshold and would read as agreement.
      throw EdgeoptException.invalid(
          "the reference's output '"
              + ref.name()
              + "' is "
              + r[bad]
              + " at value "
              + (bad % per)
              + " of sample "
              + (samples + bad / per)
              + " of "
              + holdoutWhere
              + ": expected finite outputs from the reference");
    }
    bad = firstNonFinite(c);
    if (bad >= 0) {
      if (candidateNonFinite == null) {
        candidateNonFinite =
            "candidate output '"
                + cand.name()
                + "' is "
                + c[bad]
                + " at value "
                + (bad % per)
                + " of sample "
                + (samples + bad / per);
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
        throw EdgeoptException.invalid(
            holdoutWhere
                + ": sample "
                + sample
                + " has label "
                + label
                + ", which is not a class the model can output (expected 0.."
                + (per - 1)
                + " for its "
                + per
                + " classes)");
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
      throw EdgeoptException.invalid(
          "the model outputs "
              + per
              + " value per sample: expected at least 2 class scores "
              + "for classification (use the regression task with an output tolerance instead)");
    }
    if (classification && !classNames.isEmpty() && classNames.size() != per) {
      throw EdgeoptException.invalid(
          holdoutWhere
              + ": "
              + classNames.size()
              + " class names were given but the model outputs "
              + per
              + " classes: expected one name per class");
    }
    classSamples = new int[per];
    classRefCorrect = new int[per];
    classCandCorrect = new int[per];
  }

  /**
   * Adds everything {@code o} holds, as if its samples had followed this one's. Counts, extremes and
   * exact sums merge exactly, in any order. Two things keep the left operand's: where the candidate
   * first gave a non-finite output, and how a model's rows are read (probabilities or logits, decided
   * on its first row); merging in sample order (partition id) gives one machine's answer.
   *
   * @throws EdgeoptException (invalid input) when the two saw a different number of outputs per sample
   */
  public void merge(DriftAccumulator o) throws EdgeoptException {
    if (classification != o.classification
        || !classNames.equals(o.classNames)
        || !java.util.Objects.equals(tolerance, o.tolerance)) {
      throw new IllegalArgumentException(
          "cannot merge drift figures collected with different settings");
    }
    if (o.values < 0) {
      return;
    }
    if (values < 0) {
      start(o.values);
    } else if (values != o.values) {
      throw EdgeoptException.invalid(
          holdoutWhere
              + ": one part of the holdout gave "
              + values
              + " output values per sample,"
              + " another "
              + o.values
              + ": expected the same number throughout");
    }
    if (candidateNonFinite == null) {
      candidateNonFinite = o.candidateNonFinite;
    }
    candidateNonFiniteValues += o.candidateNonFiniteValues;
    outputs.merge(o.outputs);
    samples += o.samples;
    refCorrect += o.refCorrect;
    candCorrect += o.candCorrect;
    refTopK += o.refTopK;
    candTopK += o.candTopK;
    agreeing += o.agreeing;
    for (int c = 0; c < values; c++) {
      classSamples[c] += o.classSamples[c];
      classRefCorrect[c] += o.classRefCorrect[c];
      classCandCorrect[c] += o.classCandCorrect[c];
    }
    refConf.merge(o.refConf);
    candConf.merge(o.candConf);
  }

  /** Writes the state after the settings (the format is {@link DriftCodec}'s). */
  void writeState(java.io.DataOutputStream out) throws java.io.IOException {
    out.writeInt(values);
    out.writeInt(samples);
    out.writeBoolean(candidateNonFinite != null);
    if (candidateNonFinite != null) {
      out.writeUTF(candidateNonFinite);
    }
    out.writeLong(candidateNonFiniteValues);
    outputs.write(out);
    out.writeInt(refCorrect);
    out.writeInt(candCorrect);
    out.writeInt(refTopK);
    out.writeInt(candTopK);
    out.writeInt(agreeing);
    if (values > 0 && classSamples != null) {
      for (int c = 0; c < values; c++) {
        out.writeInt(classSamples[c]);
        out.writeInt(classRefCorrect[c]);
        out.writeInt(classCandCorrect[c]);
      }
    }
    refConf.write(out);
    candConf.write(out);
  }

  /** Reads what {@link #writeState} wrote into this fresh accumulator. */
  void readState(java.io.DataInputStream in) throws java.io.IOException {
    values = in.readInt();
    samples = in.readInt();
    candidateNonFinite = in.readBoolean() ? in.readUTF() : null;
    candidateNonFiniteValues = in.readLong();
    outputs = ErrorAccumulator.read(in);
    refCorrect = in.readInt();
    candCorrect = in.readInt();
    refTopK = in.readInt();
    candTopK = in.readInt();
    agreeing = in.readInt();
    if (values > 0) {
      classSamples = new int[values];
      classRefCorrect = new int[values];
      classCandCorrect = new int[values];
      for (int c = 0; c < values; c++) {
        classSamples[c] = in.readInt();
        classRefCorrect[c] = in.readInt();
        classCandCorrect[c] = in.readInt();
      }
    }
    refConf = Confidences.read(in);
    candConf = Confidences.read(in);
  }

  boolean isClassification() {
    return classification;
  }

  List<String> classNames() {
    return classNames;
  }

  Double tolerance() {
    return tolerance;
  }

  String holdoutWhere() {
    return holdoutWhere;
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
  public int samples() {
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
      perClass.add(
          new ValidationReport.ClassAccuracy(
              c,
              classNames.isEmpty() ? Integer.toString(c) : classNames.get(c),
              classSamples[c],
              classRefCorrect[c],
              classCandCorrect[c],
              rt,
              ct,
              100.0 * (classRefCorrect[c] - classCandCorrect[c]) / classSamples[c]));
    }
    return new ValidationReport.Classification(
        samples,
        values,
        Math.min(TOP_K, values),
        refCorrect,
        candCorrect,
        refTopK,
        candTopK,
        agreeing,
        pct(refCorrect, samples),
        pct(candCorrect, samples),
        pct(refTopK, samples),
        pct(candTopK, samples),
        100.0 * (refCorrect - candCorrect) / samples,
        pct(agreeing, samples),
        perClass);
  }

  /** Returns the element-wise output comparison. */
  ValidationReport.OutputComparison outputs() {
    return new ValidationReport.OutputComparison(
        outputs.count(),
        outputs.cosine(),
        outputs.sqnrDb(),
        outputs.maxAbs(),
        outputs.meanAbs(),
        tolerance,
        tolerance == null ? 0 : outputs.overTolerance());
  }

  /** Returns the confidence distributions, or null for a regression output. */
  ValidationReport.Confidence confidence() {
    if (!classification || samples == 0) {
      return null;
    }
    String source =
        refConf.source().equals(candConf.source())
            ? refConf.source()
            : "reference " + refConf.source() + ", candidate " + candConf.source();
    ValidationReport.ConfidenceStats r = refConf.stats(samples);
    ValidationReport.ConfidenceStats c = candConf.stats(samples);
    return new ValidationReport.Confidence(source, BINS, r, c, c.mean() - r.mean());
  }

  private static double pct(int part, int whole) {
    return whole == 0 ? 0 : 100.0 * part / whole;
  }
}
