package org.edgeopt.deploy;

import org.apache.commons.math3.distribution.NormalDistribution;
import org.apache.commons.math3.stat.inference.ChiSquareTest;
import org.apache.commons.math3.stat.inference.KolmogorovSmirnovTest;

/**
 * The statistical tests of monitoring and canary decisions, on histograms and counts (never on
 * lists of records): population stability index, two-sample Kolmogorov-Smirnov on binned
 * distributions, chi-square tests on class counts, Wilson intervals and normal tail
 * probabilities. The distributions come from Apache Commons Math.
 */
public final class DriftStatistics {
  private static final NormalDistribution NORMAL = new NormalDistribution(null, 0, 1);

  private DriftStatistics() {}

  /**
   * Returns the population stability index of {@code actual} against {@code expected}, both
   * counts over the same bins; half a count is added to every bin so that an empty bin stays finite.
   */
  public static double psi(long[] actual, long[] expected) {
    double[] p = smoothed(actual);
    double[] q = smoothed(expected);
    double s = 0;
    for (int i = 0; i < p.length; i++) {
      s += (p[i] - q[i]) * Math.log(p[i] / q[i]);
    }
    return s;
  }

  /**
   * The two-sample Kolmogorov-Smirnov statistic over binned distributions and its asymptotic
   * p-value. Binning can only lower D, so the test errs towards no alert.
   *
   * @param d the largest gap between the two cumulative distributions at a bin edge
   * @param p the probability of a gap at least this large if both samples came from one distribution
   */
  public record KsResult(double d, double p) {}

  /** Runs the binned two-sample Kolmogorov-Smirnov test. */
  public static KsResult ks(long[] a, long[] b) {
    long na = sum(a);
    long nb = sum(b);
    if (na == 0 || nb == 0) {
      return new KsResult(0, 1);
    }
    double ca = 0;
    double cb = 0;
    double d = 0;
    for (int i = 0; i < a.length; i++) {
      ca += a[i];
      cb += b[i];
      d = Math.max(d, Math.abs(ca / na - cb / nb));
    }
    double p = d == 0 ? 1 : new KolmogorovSmirnovTest().approximateP(d, clamp(na), clamp(nb));
    return new KsResult(d, Math.min(1, Math.max(0, p)));
  }

  /**
   * Returns the p-value of the chi-square goodness-of-fit test of {@code observed} counts against
   * the proportions of {@code reference} counts (smoothed by half a count per class).
   */
  public static double chiSquareFit(long[] observed, long[] reference) {
    if (sum(observed) == 0 || observed.length < 2) {
      return 1;
    }
    return new ChiSquareTest().chiSquareTest(smoothed(reference), observed);
  }

  /**
   * Returns the p-value of the chi-square test that two samples share one class distribution;
   * classes neither sample saw are left out.
   */
  public static double chiSquareHomogeneity(long[] a, long[] b) {
    int k = 0;
    for (int i = 0; i < a.length; i++) {
      k += a[i] + b[i] > 0 ? 1 : 0;
    }
    if (k < 2 || sum(a) == 0 || sum(b) == 0) {
      return 1;
    }
    long[][] table = new long[2][k];
    for (int i = 0, j = 0; i < a.length; i++) {
      if (a[i] + b[i] > 0) {
        table[0][j] = a[i];
        table[1][j++] = b[i];
      }
    }
    return new ChiSquareTest().chiSquareTest(table);
  }

  /** Returns the total variation distance (half the L1 distance) between two count vectors' proportions. */
  public static double totalVariation(long[] a, long[] b) {
    double na = Math.max(1, sum(a));
    double nb = Math.max(1, sum(b));
    double s = 0;
    for (int i = 0; i < a.length; i++) {
      s += Math.abs(a[i] / na - b[i] / nb);
    }
    return s / 2;
  }

  /** Returns the Wilson score interval {lower, upper} of {@code k} successes in {@code n} at two-sided {@code confidence}. */
  public static double[] wilson(long k, long n, double confidence) {
    if (n == 0) {
      return new double[] {0, 1};
    }
    double z = NORMAL.inverseCumulativeProbability(1 - (1 - confidence) / 2);
    double p = (double) k / n;
    double z2 = z * z;
    double centre = (p + z2 / (2 * n)) / (1 + z2 / n);
    double half = z / (1 + z2 / n) * Math.sqrt(p * (1 - p) / n + z2 / (4.0 * n * n));
    return new double[] {Math.max(0, centre - half), Math.min(1, centre + half)};
  }

  /** Returns P(Z >= z) for a standard normal Z. */
  public static double upperTail(double z) {
    return 1 - NORMAL.cumulativeProbability(z);
  }

  /** Returns the one-sided standard normal quantile for {@code confidence}, e.g. 1.645 for 0.95. */
  public static double z(double confidence) {
    return NORMAL.inverseCumulativeProbability(confidence);
  }

  static long sum(long[] v) {
    long s = 0;
    for (long x : v) {
      s += x;
    }
    return s;
  }

  private static double[] smoothed(long[] counts) {
    double total = sum(counts) + 0.5 * counts.length;
    double[] p = new double[counts.length];
    for (int i = 0; i < counts.length; i++) {
      p[i] = (counts[i] + 0.5) / total;
    }
    return p;
  }

  private static int clamp(long n) {
    return (int) Math.min(Integer.MAX_VALUE, n);
  }
}
