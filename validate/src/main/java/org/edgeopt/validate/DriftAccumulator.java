package org.edgeopt.validate;

import java.util.List;
import org.edgeopt.core.EdgeoptException;
import org.edgeopt.core.graph.Tensor;

/**
 * Collects the drift figures over the holdout one batch at a time: accuracy, agreement, per-class
 * counts and confidence for classifiers ({@link ClassificationAccumulator}), and the element-wise
 * output comparison for every model ({@link ErrorAccumulator}). It checks each batch against the
 * settings and the batches before it, and notes where the candidate gave non-finite outputs.
 *
 * <p>Every figure is a count, an extreme or an exact sum ({@link ExactSum}), so the report does not
 * depend on the order the samples came in: accumulators folded over parts of the holdout (Spark
 * partitions) {@link #merge merge} into exactly what one pass over the whole holdout holds, and
 * {@link DriftCodec} carries them between machines.
 */
public final class DriftAccumulator {
  private final boolean classification;
  private final List<String> classNames;
  private final String holdoutWhere;
  private ErrorAccumulator outputs;
  private final Double tolerance;
  private String candidateNonFinite;
  private long candidateNonFiniteValues;
  private int values = -1;
  private int samples;
  private ClassificationAccumulator classFigures = new ClassificationAccumulator();

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
      classFigures.add(r, c, i * per, per, label);
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
    classFigures.start(per);
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
    classFigures.merge(o.classFigures, values);
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
    classFigures.write(out, values);
  }

  /** Reads what {@link #writeState} wrote into this fresh accumulator. */
  void readState(java.io.DataInputStream in) throws java.io.IOException {
    values = in.readInt();
    samples = in.readInt();
    candidateNonFinite = in.readBoolean() ? in.readUTF() : null;
    candidateNonFiniteValues = in.readLong();
    outputs = ErrorAccumulator.read(in);
    classFigures = ClassificationAccumulator.read(in, values);
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
    return classFigures.classification(samples, values, classNames);
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
    return classFigures.confidence(samples);
  }
}
