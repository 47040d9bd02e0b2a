package org.edgeopt.validate;

import java.util.Arrays;
import org.edgeopt.core.eval.SignalNoise;

/**
 * The arithmetic behind every drift figure: softmax, top-k membership, cosine similarity, SQNR,
 * histograms and percentiles, as plain functions on float arrays.
 *
 * <p>SQNR is {@code 10 log10(sum(ref^2) / sum((ref - other)^2))} in decibels; identical signals
 * have no noise, which is reported as {@link #MAX_SQNR_DB} (float32 rounding alone stays far below
 * it), so reports never carry an infinity.
 */
public final class DriftMetrics {

  /** The SQNR reported when two signals are identical: above any float32 noise floor. */
  public static final double MAX_SQNR_DB = 150.0;

  private DriftMetrics() {}

  /**
   * Returns the softmax of {@code classes} values starting at {@code offset}, computed stably
   * (the maximum is subtracted before exponentiating).
   */
  public static double[] softmax(float[] values, int offset, int classes) {
    double max = Double.NEGATIVE_INFINITY;
    for (int c = 0; c < classes; c++) {
      max = Math.max(max, values[offset + c]);
    }
    double[] p = new double[classes];
    double sum = 0;
    for (int c = 0; c < classes; c++) {
      p[c] = Math.exp(values[offset + c] - max);
      sum += p[c];
    }
    for (int c = 0; c < classes; c++) {
      p[c] /= sum;
    }
    return p;
  }

  /**
   * Returns whether class {@code label} is among the {@code k} largest of the {@code classes}
   * values at {@code offset}; ties are broken towards the lower class index, as argmax does.
   */
  public static boolean inTopK(float[] values, int offset, int classes, int label, int k) {
    float v = values[offset + label];
    int better = 0;
    for (int c = 0; c < classes; c++) {
      float o = values[offset + c];
      if (o > v || (o == v && c < label)) {
        better++;
      }
    }
    return better < k;
  }

  /** Returns whether every one of {@code classes} values from {@code offset} lies in [0, 1]. */
  public static boolean inUnitInterval(float[] values, int offset, int classes) {
    for (int c = 0; c < classes; c++) {
      float v = values[offset + c];
      if (!(v >= 0 && v <= 1)) {
        return false;
      }
    }
    return true;
  }

  /**
   * Returns whether a row of values already is a probability distribution (non-negative, summing
   * to 1 within {@code 1e-3}), as when a model ends in Softmax.
   */
  public static boolean isProbabilityRow(float[] values, int offset, int classes) {
    double sum = 0;
    for (int c = 0; c < classes; c++) {
      float v = values[offset + c];
      if (v < 0 || v > 1 || Float.isNaN(v)) {
        return false;
      }
      sum += v;
    }
    return Math.abs(sum - 1.0) <= 1e-3;
  }

  /**
   * Returns the cosine similarity from running sums: {@code dot / sqrt(refSquares * otherSquares)};
   * 1 when both signals are zero, 0 when only one is.
   */
  public static double cosine(double dot, double refSquares, double otherSquares) {
    if (refSquares == 0 && otherSquares == 0) {
      return 1.0;
    }
    if (refSquares == 0 || otherSquares == 0) {
      return 0.0;
    }
    double c = dot / Math.sqrt(refSquares * otherSquares);
    // A NaN output compares as unrelated, never as a perfect match.
    return Double.isNaN(c) ? 0.0 : Math.max(-1.0, Math.min(1.0, c));
  }

  /** Returns the cosine similarity of two equally long arrays. */
  public static double cosine(float[] ref, float[] other) {
    checkLengths(ref, other);
    double dot = 0;
    double rr = 0;
    double oo = 0;
    for (int i = 0; i < ref.length; i++) {
      dot += (double) ref[i] * other[i];
      rr += (double) ref[i] * ref[i];
      oo += (double) other[i] * other[i];
    }
    return cosine(dot, rr, oo);
  }

  /**
   * Returns the SQNR in dB from running sums of the reference's squares and the squared error,
   * capped at {@link #MAX_SQNR_DB}; a zero reference with any error is {@code -MAX_SQNR_DB}.
   */
  public static double sqnrDb(double signalSquares, double noiseSquares) {
    if (noiseSquares <= 0) {
      return MAX_SQNR_DB;
    }
    if (signalSquares <= 0) {
      return -MAX_SQNR_DB;
    }
    return Math.max(
        -MAX_SQNR_DB, Math.min(MAX_SQNR_DB, 10.0 * Math.log10(signalSquares / noiseSquares)));
  }

  /** Returns the SQNR in dB of {@code other} against the reference {@code ref}. */
  public static double sqnrDb(float[] ref, float[] other) {
    checkLengths(ref, other);
    SignalNoise sn = SignalNoise.of(ref, other);
    return sqnrDb(sn.signal(), sn.noise());
  }

  /**
   * Returns the noise-to-signal power ratio that an SQNR in dB stands for, the quantity that
   * adds up when independent errors accumulate.
   */
  public static double noiseRatio(double sqnrDb) {
    return Math.pow(10.0, -sqnrDb / 10.0);
  }

  /**
   * Estimates the SQNR a layer would have on its own, from the SQNR at its output and at its
   * inputs, assuming independent errors whose noise powers add: {@code out = in + own}.
   */
  public static double addedSqnrDb(double outputSqnrDb, double inputSqnrDb) {
    double own = noiseRatio(outputSqnrDb) - noiseRatio(inputSqnrDb);
    if (own <= 0) {
      return MAX_SQNR_DB;
    }
    return Math.max(-MAX_SQNR_DB, Math.min(MAX_SQNR_DB, -10.0 * Math.log10(own)));
  }

  /**
   * Returns the bin of {@code value} among {@code bins} equal bins over [0, 1]; 1.0 falls in the
   * last bin.
   */
  public static int bin(double value, int bins) {
    int b = (int) Math.floor(value * bins);
    return Math.max(0, Math.min(bins - 1, b));
  }

  /**
   * Returns the {@code p}-th percentile ({@code 0 < p <= 100}) of already sorted values by the
   * nearest-rank method: the smallest value with at least {@code p}% of the values at or below it.
   */
  public static double percentile(double[] sorted, double p) {
    if (sorted.length == 0) {
      throw new IllegalArgumentException("percentile of no values");
    }
    if (p <= 0 || p > 100) {
      throw new IllegalArgumentException("percentile must be in (0, 100], was " + p);
    }
    int rank = (int) Math.ceil(p / 100.0 * sorted.length);
    return sorted[Math.max(0, Math.min(sorted.length, rank) - 1)];
  }

  /** Returns a sorted copy. */
  static double[] sorted(double[] values) {
    double[] s = values.clone();
    Arrays.sort(s);
    return s;
  }

  private static void checkLengths(float[] a, float[] b) {
    if (a.length != b.length) {
      throw new IllegalArgumentException(
          "arrays of " + a.length + " and " + b.length + " values cannot be compared");
    }
  }
}
