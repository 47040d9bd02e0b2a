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
    Search search = new Search(abs, last);
    double bestKl = Double.POSITIVE_INFINITY;
    int best = last;
    int first = Math.max(LEVELS, floor + 1);
    long beyond = 0;
    for (int j = first; j < last; j++) {
      beyond += abs[j];
    }
    for (int i = first; i <= last; i++) {
      double kl = search.divergence(i, beyond);
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
   * One tensor's search: its histogram of |x| and, computed once, the prefix sums that let a
   * candidate be judged in O(LEVELS) operations instead of two passes over its {@code i} bins.
   *
   * <p>For a candidate {@code i}: P's bins are {@code abs[j]} with the {@code beyond} outliers
   * added to bin {@code i-1}, over {@code total}; Q's are non-zero exactly where {@code abs[j]}
   * is, so both smoothed distributions are written down directly: each empty bin holds EPSILON,
   * each other bin its share {@code a} less the shift {@code t = EPSILON * zeros / nonZeros}. Bins
   * empty in both contribute {@code EPSILON * log(1) = 0}. A candidate is rejected (infinite
   * divergence, as MXNet does) when some bin cannot give up {@code t}.
   *
   * <p>{@code p log(p / q)} is summed as {@code p log p - p log q}. Q is constant over a level,
   * so {@code log q} takes one logarithm per level, from prefix counts. For the bins below
   * {@code i-1}, {@code (a - t) log(a - t)} expands in {@code x = t / a} as
   * {@code a log a - t log a - t + t^2/2a + t^3/6a^2 + t^4/12a^3 + t^5/4a^4 + O(t x^5)}; when
   * every such bin has {@code x < 2^-10} (error below 1e-13 of t, far under any difference between
   * candidates) the sum comes from prefix sums of those powers, otherwise bin by bin.
   * Package-private for tests, which compare every candidate's divergence with the plain one.
   */
  static final class Search {
    private static final double SERIES_LIMIT = 0x1p-10;

    private final long[] abs;
    private final long total;
    private final double inverseTotal;

    /** a_j and log a_j (0 for empty bins). */
    private final double[] share;

    private final double[] logShare;

    /** Over bins [0, j): the smallest non-zero share, counts, non-empty bins, and power sums. */
    private final double[] smallest;

    private final long[] countBefore;
    private final int[] nonZeroBefore;
    private final double[] aLogA;
    private final double[] logA;
    private final double[][] inversePowers = new double[4][];
    private final double[] levelLog = new double[LEVELS];
    private final int[] levelNonZero = new int[LEVELS];
    private final int[] levelStart = new int[LEVELS + 1];

    Search(long[] abs, int last) {
      this.abs = abs;
      long t = 0;
      for (long c : abs) {
        t += c;
      }
      total = t;
      inverseTotal = 1.0 / total;
      share = new double[last];
      logShare = new double[last];
      smallest = new double[last + 1];
      countBefore = new long[last + 1];
      nonZeroBefore = new int[last + 1];
      aLogA = new double[last + 1];
      logA = new double[last + 1];
      for (int k = 0; k < inversePowers.length; k++) {
        inversePowers[k] = new double[last + 1];
      }
      smallest[0] = Double.POSITIVE_INFINITY;
      for (int j = 0; j < last; j++) {
        boolean nonEmpty = abs[j] != 0;
        if (nonEmpty) {
          share[j] = abs[j] * inverseTotal;
          logShare[j] = Math.log(share[j]);
        }
        smallest[j + 1] = nonEmpty ? Math.min(smallest[j], share[j]) : smallest[j];
        countBefore[j + 1] = countBefore[j] + abs[j];
        nonZeroBefore[j + 1] = nonZeroBefore[j] + (nonEmpty ? 1 : 0);
        aLogA[j + 1] = aLogA[j] + share[j] * logShare[j];
        logA[j + 1] = logA[j] + logShare[j];
        double inverse = nonEmpty ? 1 / share[j] : 0;
        double power = inverse;
        for (int k = 0; k < inversePowers.length; k++) {
          inversePowers[k][j + 1] = inversePowers[k][j] + power;
          power *= inverse;
        }
      }
    }

    /** Returns KL(P||Q) for the candidate keeping bins {@code [0, i)}, or +infinity if rejected. */
    double divergence(int i, long beyond) {
      int nonZero = nonZeroBefore[i];
      if (nonZero == 0) {
        return Double.POSITIVE_INFINITY;
      }
      boolean outlierBinOnlyInP = abs[i - 1] == 0 && beyond > 0;
      int nonZeroP = nonZero + (outlierBinOnlyInP ? 1 : 0);
      double takeP = EPSILON * (i - nonZeroP) / nonZeroP;
      // a_j - takeP <= 0 for some bin below i-1 (for doubles exactly a_j <= takeP): rejected,
      // without looking at the bins; on mnist-7 most candidates end here.
      if (smallest[i - 1] <= takeP) {
        return Double.POSITIVE_INFINITY;
      }
      double takeQ = EPSILON * (i - nonZero) / nonZero;
      // Level l holds bins j with floor(j * LEVELS / i) = l: [ceil(l * i / LEVELS), ceil((l + 1) *
      // i / LEVELS)).
      long inside = countBefore[i];
      for (int l = 0; l <= LEVELS; l++) {
        levelStart[l] = (int) (((long) l * i + LEVELS - 1) / LEVELS);
      }
      for (int l = 0; l < LEVELS; l++) {
        levelNonZero[l] = nonZeroBefore[levelStart[l + 1]] - nonZeroBefore[levelStart[l]];
        if (levelNonZero[l] == 0) {
          levelLog[l] = 0;
          continue;
        }
        // Q of every non-empty bin of a level: the level's mass spread over its non-empty bins.
        long levelCount = countBefore[levelStart[l + 1]] - countBefore[levelStart[l]];
        double q = (double) levelCount / levelNonZero[l] / inside - takeQ;
        if (q <= 0) {
          // Too little mass to give EPSILON to every empty bin: MXNet rejects such a candidate too.
          return Double.POSITIVE_INFINITY;
        }
        levelLog[l] = Math.log(q);
      }
      double kl =
          takeP < SERIES_LIMIT * smallest[i - 1]
              ? belowLastBySeries(i, takeP)
              : belowLastBinByBin(i, takeP);
      if (abs[i - 1] != 0) {
        double pj = (abs[i - 1] + beyond) * inverseTotal - takeP;
        if (pj <= 0) {
          return Double.POSITIVE_INFINITY;
        }
        kl += pj * (Math.log(pj) - levelLog[LEVELS - 1]);
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

    /** The bins below {@code i-1} from prefix sums, every one having {@code t / a < 2^-10}. */
    private double belowLastBySeries(int i, double t) {
      int end = i - 1;
      double t2 = t * t;
      double pLogP =
          aLogA[end]
              - t * logA[end]
              - t * nonZeroBefore[end]
              + t2 / 2 * inversePowers[0][end]
              + t2 * t / 6 * inversePowers[1][end]
              + t2 * t2 / 12 * inversePowers[2][end]
              + t2 * t2 * t / 4 * inversePowers[3][end];
      double pLogQ = 0;
      for (int l = 0; l < LEVELS; l++) {
        int from = levelStart[l];
        int to = Math.min(levelStart[l + 1], end);
        if (levelNonZero[l] != 0 && to > from) {
          double mass =
              (countBefore[to] - countBefore[from]) * inverseTotal
                  - t * (nonZeroBefore[to] - nonZeroBefore[from]);
          pLogQ += levelLog[l] * mass;
        }
      }
      return pLogP - pLogQ;
    }

    /** The bins below {@code i-1} one by one, {@code log(a - t)} by its series where {@code t / a < 2^-10}. */
    private double belowLastBinByBin(int i, double t) {
      double kl = 0;
      int level = 0;
      int remainder = 0;
      for (int j = 0; j < i - 1; j++) {
        if (abs[j] != 0) {
          double a = share[j];
          double pj = a - t;
          double x = t / a;
          double logP =
              x < SERIES_LIMIT
                  ? logShare[j] - x * (1 + x * (0.5 + x * (1.0 / 3 + x * 0.25)))
                  : Math.log(pj);
          kl += pj * (logP - levelLog[level]);
        }
        // Bin j belongs to level floor(j * LEVELS / i); stepping a remainder avoids a division per
        // bin.
        remainder += LEVELS;
        if (remainder >= i) {
          remainder -= i;
          level++;
        }
      }
      return kl;
    }
  }
}
