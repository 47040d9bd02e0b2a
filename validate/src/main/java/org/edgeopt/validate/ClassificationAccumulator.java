package org.edgeopt.validate;

import java.util.ArrayList;
import java.util.List;

/**
 * Collects the classifier's drift figures one sample at a time: both models' top-1 and top-k hits,
 * their agreement, the per-class counts and the confidences.
 *
 * <p>Every figure is a count or an exact sum ({@link ExactSum}), so two accumulators {@link #merge
 * merge} into what one pass over both would hold. The settings, the sample count and the number of
 * classes belong to the {@link DriftAccumulator} that owns this one and are passed in.
 */
final class ClassificationAccumulator {
  /** Bins of the confidence histograms over [0, 1]. */
  static final int BINS = 20;

  private static final int TOP_K = 5;

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

    /**
     * Adds one sample's row.
     *
     * @param like how the reference reads its rows, for the candidate (null for the reference)
     */
    void add(float[] v, int offset, int classes, boolean hit, Boolean like) {
      if (probabilities == null) {
        // A quantized Softmax output (8 bits: steps of 1/256) sums to 1 only within about
        // classes/512, so a candidate whose reference gives probabilities reads as probabilities
        // whenever its values are in [0, 1].
        probabilities =
            DriftMetrics.isProbabilityRow(v, offset, classes)
                || Boolean.TRUE.equals(like) && DriftMetrics.inUnitInterval(v, offset, classes);
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

  /** Makes room for the per-class counts of a model with {@code classes} classes. */
  void start(int classes) {
    classSamples = new int[classes];
    classRefCorrect = new int[classes];
    classCandCorrect = new int[classes];
  }

  /**
   * Adds one sample whose label is a class the model can output.
   *
   * @param r the reference's output for the batch
   * @param c the candidate's output for the batch
   * @param off where the sample's class scores start in {@code r} and {@code c}
   * @param classes the number of class scores per sample
   * @param label the sample's label, in {@code 0..classes-1}
   */
  void add(float[] r, float[] c, int off, int classes, int label) {
    int rp = argmax(r, off, classes);
    int cp = argmax(c, off, classes);
    boolean rHit = rp == label;
    boolean cHit = cp == label;
    refCorrect += rHit ? 1 : 0;
    candCorrect += cHit ? 1 : 0;
    agreeing += rp == cp ? 1 : 0;
    int k = Math.min(TOP_K, classes);
    refTopK += DriftMetrics.inTopK(r, off, classes, label, k) ? 1 : 0;
    candTopK += DriftMetrics.inTopK(c, off, classes, label, k) ? 1 : 0;
    classSamples[label]++;
    classRefCorrect[label] += rHit ? 1 : 0;
    classCandCorrect[label] += cHit ? 1 : 0;
    refConf.add(r, off, classes, rHit, null);
    candConf.add(c, off, classes, cHit, refConf.probabilities);
  }

  /** Adds everything {@code o} holds; both have {@code classes} classes. */
  void merge(ClassificationAccumulator o, int classes) {
    refCorrect += o.refCorrect;
    candCorrect += o.candCorrect;
    refTopK += o.refTopK;
    candTopK += o.candTopK;
    agreeing += o.agreeing;
    for (int c = 0; c < classes; c++) {
      classSamples[c] += o.classSamples[c];
      classRefCorrect[c] += o.classRefCorrect[c];
      classCandCorrect[c] += o.classCandCorrect[c];
    }
    refConf.merge(o.refConf);
    candConf.merge(o.candConf);
  }

  /** Writes the figures of {@code classes} classes (the format is {@link DriftCodec}'s). */
  void write(java.io.DataOutputStream out, int classes) throws java.io.IOException {
    out.writeInt(refCorrect);
    out.writeInt(candCorrect);
    out.writeInt(refTopK);
    out.writeInt(candTopK);
    out.writeInt(agreeing);
    if (classes > 0 && classSamples != null) {
      for (int c = 0; c < classes; c++) {
        out.writeInt(classSamples[c]);
        out.writeInt(classRefCorrect[c]);
        out.writeInt(classCandCorrect[c]);
      }
    }
    refConf.write(out);
    candConf.write(out);
  }

  /** Reads what {@link #write} wrote for {@code classes} classes. */
  static ClassificationAccumulator read(java.io.DataInputStream in, int classes)
      throws java.io.IOException {
    ClassificationAccumulator a = new ClassificationAccumulator();
    a.refCorrect = in.readInt();
    a.candCorrect = in.readInt();
    a.refTopK = in.readInt();
    a.candTopK = in.readInt();
    a.agreeing = in.readInt();
    if (classes > 0) {
      a.start(classes);
      for (int c = 0; c < classes; c++) {
        a.classSamples[c] = in.readInt();
        a.classRefCorrect[c] = in.readInt();
        a.classCandCorrect[c] = in.readInt();
      }
    }
    a.refConf = Confidences.read(in);
    a.candConf = Confidences.read(in);
    return a;
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

  /**
   * Returns the classification figures.
   *
   * @param samples the number of samples added, more than 0
   * @param classes the number of classes
   * @param classNames the class names, or empty
   */
  ValidationReport.Classification classification(
      int samples, int classes, List<String> classNames) {
    List<ValidationReport.ClassAccuracy> perClass = new ArrayList<>();
    for (int c = 0; c < classes; c++) {
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
        classes,
        Math.min(TOP_K, classes),
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

  /** Returns the confidence distributions over {@code samples} samples, more than 0. */
  ValidationReport.Confidence confidence(int samples) {
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
