package org.edgeopt.calibrate;

import org.edgeopt.core.quant.TensorRange;

/**
 * Chooses the threshold on |x| that minimises the KL divergence between the distribution of the
 * values and its 8-bit quantized form, as TensorRT's entropy calibrator does.
 *
 * <p>On the histogram of |x| ({@code BINS/2} bins over {@code [0, R)}), for every candidate
 * {@code i} from {@value #LEVELS} to the last bin: the reference distribution P is bins
 * {@code [0, i)} with all counts beyond added to bin {@code i-1} (clipping keeps outliers at the
 * threshold); the candidate Q merges the same {@code i} bins into {@value #LEVELS} levels and spreads
 * each level's count evenly over the bins that were non-empty. Both are smoothed (empty bins get
 * {@value #EPSILON}, taken proportionally from the others, as MXNet and TVM do) so the divergence
 * is finite, and the {@code i} with the smallest KL(P||Q) wins, the smallest on ties. The threshold
 * is the upper edge of bin {@code i-1}, {@code i * binWidth}; the range is {@code [-t, t]} clipped
 * to the values seen, so a ReLU output keeps 0 as its lower end.
 *
 * <p>One departure from TensorRT: candidates start no lower than the bin holding the median of
 * |x|. KL(P||Q) measures how well the kept shape survives quantization, not how far clipped values
 * move; for a tensor far from zero (a global average pool after ReLU) a threshold below all its
 * values leaves P a single spike that Q matches exactly, divergence 0, and every value clipped.
 * Clipping more than half of the values is never the right range.
 */
public final class EntropyCalibrator implements Calibrator {
  /** The number of quantized levels on one side of zero, as in TensorRT. */
  public static final int LEVELS = 128;
  private static final double EPSILON = 1e-4;

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
    int last = abs.length;
    while (last > 0 && abs[last - 1] == 0) {
      last--;
    }
    if (last <= LEVELS) {
      // Every value fits in the first LEVELS bins: one bin per level, nothing to clip.
      return Calibrator.clipped(s, Math.max(last, 1) * s.binWidth(), method());
    }
    double[] p = new double[last];
    double[] q = new double[last];
    double[] levelSum = new double[LEVELS];
    int[] levelNonZero = new int[LEVELS];
    double bestKl = Double.POSITIVE_INFINITY;
    int best = last;
    int first = Math.max(LEVELS, medianBin(abs, s.count()) + 1);
    long beyond = 0;
    for (int j = first; j < last; j++) {
      beyond += abs[j];
    }
    for (int i = first; i <= last; i++) {
      double kl = divergence(abs, i, beyond, p, q, levelSum, levelNonZero);
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

  /** Returns the bin holding the median of the values: the first where half of them are reached. */
  private static int medianBin(long[] abs, long count) {
    long half = (count + 1) / 2;
    long cum = 0;
    for (int j = 0; j < abs.length; j++) {
      cum += abs[j];
      if (cum >= half) {
        return j;
      }
    }
    return abs.length - 1;
  }

  /** Returns KL(P||Q) for the candidate keeping bins {@code [0, i)}; {@code beyond} counts the rest. */
  private static double divergence(long[] abs, int i, long beyond, double[] p, double[] q, double[] levelSum,
      int[] levelNonZero) {
    for (int j = 0; j < i; j++) {
      p[j] = abs[j];
    }
    p[i - 1] += beyond;
    java.util.Arrays.fill(levelSum, 0);
    java.util.Arrays.fill(levelNonZero, 0);
    for (int j = 0; j < i; j++) {
      int level = (int) ((long) j * LEVELS / i);
      levelSum[level] += abs[j];
      if (abs[j] != 0) {
        levelNonZero[level]++;
      }
    }
    for (int j = 0; j < i; j++) {
      int level = (int) ((long) j * LEVELS / i);
      q[j] = abs[j] == 0 ? 0 : levelSum[level] / levelNonZero[level];
    }
    if (!smooth(p, i) || !smooth(q, i)) {
      return Double.POSITIVE_INFINITY;
    }
    double sumP = 0;
    double sumQ = 0;
    for (int j = 0; j < i; j++) {
      sumP += p[j];
      sumQ += q[j];
    }
    double kl = 0;
    for (int j = 0; j < i; j++) {
      double pj = p[j] / sumP;
      kl += pj * Math.log(pj / (q[j] / sumQ));
    }
    return kl;
  }

  /**
   * Normalizes the first {@code n} entries to sum 1 and gives empty bins {@link #EPSILON}, taken
   * proportionally from the others; returns false when there is nothing to take it from.
   */
  private static boolean smooth(double[] d, int n) {
    double sum = 0;
    int zeros = 0;
    for (int j = 0; j < n; j++) {
      sum += d[j];
      if (d[j] == 0) {
        zeros++;
      }
    }
    int nonZeros = n - zeros;
    if (nonZeros == 0 || sum <= 0) {
      return false;
    }
    double take = EPSILON * zeros / nonZeros;
    for (int j = 0; j < n; j++) {
      double v = d[j] / sum;
      if (v == 0) {
        d[j] = EPSILON;
      } else {
        v -= take;
        if (v <= 0) {
          return false;
        }
        d[j] = v;
      }
    }
    return true;
  }
}
