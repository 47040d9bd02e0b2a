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
 * <p>Bin 0 (|x| below one bin width) is given the count of bin 1 before the search, as NVIDIA's
 * pytorch-quantization does: the exact zeros of a ReLU output are half of its values, and that
 * spike, smeared over a level by Q, would push every threshold down.
 *
 * <p>One departure from TensorRT: candidates start no lower than the bin holding the 99.9th
 * percentile of |x|, so at most 0.1% of the values are ever clipped. KL(P||Q) measures how well
 * the kept shape survives quantization, not how far clipped values move: for a tensor far from
 * zero (a global average pool after ReLU) a threshold below all its values leaves P a single
 * spike that Q matches exactly, divergence 0, and every value clipped; on spiky histograms (image
 * background, ReLU6 outputs of a small CNN) the unconstrained minimum cut the Fashion-MNIST
 * sample's first ReLU6 to 15% of its range and the input to 40%, and cost 13 points of top-1.
 */
public final class EntropyCalibrator implements Calibrator {
  /** The number of quantized levels on one side of zero, as in TensorRT. */
  public static final int LEVELS = 128;
  private static final double EPSILON = 1e-4;
  /** The largest share of values a chosen threshold may clip. */
  static final double MAX_CLIPPED_FRACTION = 1e-3;

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
    // a_j = abs[j] / total and log(a_j), once: every candidate's P is a_j less a small shift.
    double inverseTotal = 1.0 / total;
    double[] share = new double[last];
    double[] logShare = new double[last];
    for (int j = 0; j < last; j++) {
      if (abs[j] != 0) {
        share[j] = abs[j] * inverseTotal;
        logShare[j] = Math.log(share[j]);
      }
    }
    for (int i = first; i <= last; i++) {
      if (abs[i - 1] != 0 && i > first) {
        nonZeroBelow++;
      }
      double kl = divergence(abs, share, logShare, i, beyond, total, nonZeroBelow, levelSum, levelNonZero);
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
   *
   * <p>Cost: {@code p log(p / q)} is summed as {@code p log p - p log q}; Q is constant over a
   * level, so {@code log q} takes one logarithm per level, and {@code log p = log(a - t)} for a
   * share {@code a} and the smoothing shift {@code t} is {@code log a + log1p(-t / a)}, with
   * {@code log a} computed once per tensor and {@code log1p} by its series while {@code t / a}
   * is below 2^-10 (error below 1e-13, far under any difference between candidates). The search
   * took most of an entropy calibration's fixed cost before.
   */
  private static double divergence(long[] abs, double[] share, double[] logShare, int i, long beyond, long total,
      int nonZero, double[] levelSum, int[] levelNonZero) {
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
    // Q of every non-empty bin of a level: the level's mass spread over its non-empty bins; and its log.
    for (int l = 0; l < LEVELS; l++) {
      if (levelNonZero[l] == 0) {
        levelSum[l] = 0;
        continue;
      }
      double q = levelSum[l] / levelNonZero[l] / inside - takeQ;
      if (q <= 0) {
        // Too little mass to give EPSILON to every empty bin: MXNet rejects such a candidate too.
        return Double.POSITIVE_INFINITY;
      }
      levelSum[l] = Math.log(q);
    }
    double inverseTotal = 1.0 / total;
    double kl = 0;
    level = 0;
    remainder = 0;
    for (int j = 0; j < i; j++) {
      if (abs[j] != 0) {
        double pj;
        double logP;
        if (j == i - 1) {
          pj = (abs[j] + beyond) * inverseTotal - takeP;
          if (pj <= 0) {
            return Double.POSITIVE_INFINITY;
          }
          logP = Math.log(pj);
        } else {
          double a = share[j];
          pj = a - takeP;
          if (pj <= 0) {
            return Double.POSITIVE_INFINITY;
          }
          double x = takeP / a;
          logP = x < 0x1p-10 ? logShare[j] - x * (1 + x * (0.5 + x * (1.0 / 3 + x * 0.25))) : Math.log(pj);
        }
        kl += pj * (logP - levelSum[level]);
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
