package org.edgeopt.calibrate;

import org.edgeopt.core.quant.TensorRange;

/**
 * The entropy search written the plain way (one logarithm per bin per candidate), kept as the
 * reference the optimized {@link EntropyCalibrator} must agree with.
 */
final class ReferenceEntropyCalibrator implements Calibrator {
  private static final int LEVELS = EntropyCalibrator.LEVELS;
  private static final double EPSILON = 1e-4;
  private static final double MAX_CLIPPED_FRACTION = EntropyCalibrator.MAX_CLIPPED_FRACTION;

  @Override
  public String method() {
    return CalibrationMethod.ENTROPY.id();
  }

  @Override
  public TensorRange range(TensorStatistics s) {
    if (s.count() == 0) {
      return Calibrator.empty(s, method());
    }
    long[] abs = s.absHistogram();
    int floor = quantileBin(abs, s.count(), 1 - MAX_CLIPPED_FRACTION);
    abs[0] = abs[1];
    int last = abs.length;
    while (last > 0 && abs[last - 1] == 0) {
      last--;
    }
    if (last <= LEVELS) {
      // Every value fits in the first LEVELS bins: one bin per level, nothing to clip.
      return Calibrator.clipped(s, Math.max(last, 1) * s.binWidth(), method());
    }
    double[] levelSum = new double[LEVELS];
    int[] levelNonZero = new int[LEVELS];
    double bestKl = Double.POSITIVE_INFINITY;
    int best = last;
    int first = Math.max(LEVELS, floor + 1);
    long total = 0;
    for (long c : abs) {
      total += c;
    }
    long beyond = 0;
    for (int j = first; j < last; j++) {
      beyond += abs[j];
    }
    int nonZeroBelow = 0;
    for (int j = 0; j < first; j++) {
      nonZeroBelow += abs[j] != 0 ? 1 : 0;
    }
    for (int i = first; i <= last; i++) {
      if (abs[i - 1] != 0 && i > first) {
        nonZeroBelow++;
      }
      double kl = divergence(abs, i, beyond, total, nonZeroBelow, levelSum, levelNonZero);
      if (kl < bestKl) {
        bestKl = kl;
        best = i;
      }
      if (i < last) {
        beyond -= abs[i];
      }
    }
    return Calibrator.clipped(s, best * s.binWidth(), method());
  }

  /** Returns the first bin where the fraction {@code q} of the values is reached. */
  private static int quantileBin(long[] abs, long count, double q) {
    long needed = (long) Math.ceil(count * q);
    long cum = 0;
    for (int j = 0; j < abs.length; j++) {
      cum += abs[j];
      if (cum >= needed) {
        return j;
      }
    }
    return abs.length - 1;
  }

  /**
   * Returns KL(P||Q) for the candidate keeping bins {@code [0, i)}. P's bins are {@code abs[j]}
   * with the {@code beyond} outliers added to bin {@code i-1}, over {@code total}; Q's are non-zero
   * exactly where {@code abs[j]} is, so both smoothed distributions are written down directly:
   * each empty bin holds EPSILON, each other bin its share less {@code EPSILON * zeros / nonZeros}.
   * Bins empty in both contribute {@code EPSILON * log(1) = 0} and are skipped.
   */
  static double divergence(
      long[] abs,
      int i,
      long beyond,
      long total,
      int nonZero,
      double[] levelSum,
      int[] levelNonZero) {
    if (nonZero == 0) {
      return Double.POSITIVE_INFINITY;
    }
    java.util.Arrays.fill(levelSum, 0);
    java.util.Arrays.fill(levelNonZero, 0);
    // Bin j belongs to level floor(j * LEVELS / i); stepping a remainder avoids a division per bin.
    long inside = 0;
    int level = 0;
    int remainder = 0;
    for (int j = 0; j < i; j++) {
      long c = abs[j];
      if (c != 0) {
        levelSum[level] += c;
        levelNonZero[level]++;
        inside += c;
      }
      remainder += LEVELS;
      if (remainder >= i) {
        remainder -= i;
        level++;
      }
    }
    boolean outlierBinOnlyInP = abs[i - 1] == 0 && beyond > 0;
    int nonZeroP = nonZero + (outlierBinOnlyInP ? 1 : 0);
    double takeP = EPSILON * (i - nonZeroP) / nonZeroP;
    double takeQ = EPSILON * (i - nonZero) / nonZero;
    // Q of every non-empty bin of a level: the level's mass spread over its non-empty bins.
    for (int l = 0; l < LEVELS; l++) {
      levelSum[l] = levelNonZero[l] == 0 ? 0 : levelSum[l] / levelNonZero[l] / inside - takeQ;
    }
    double inverseTotal = 1.0 / total;
    double kl = 0;
    level = 0;
    remainder = 0;
    for (int j = 0; j < i; j++) {
      long c = abs[j];
      if (c != 0) {
        double pj = (j == i - 1 ? c + beyond : c) * inverseTotal - takeP;
        double qj = levelSum[level];
        if (pj <= 0 || qj <= 0) {
          // Too little mass to give EPSILON to every empty bin: MXNet rejects such a candidate too.
          return Double.POSITIVE_INFINITY;
        }
        kl += pj * Math.log(pj / qj);
      }
      remainder += LEVELS;
      if (remainder >= i) {
        remainder -= i;
        level++;
      }
    }
    if (outlierBinOnlyInP) {
      double pj = beyond * inverseTotal - takeP;
      if (pj <= 0) {
        return Double.POSITIVE_INFINITY;
      }
      kl += pj * Math.log(pj / EPSILON);
    }
    return kl;
  }
}
