package org.edgeopt.calibrate;

import org.edgeopt.core.quant.TensorRange;

/**
 * Clips the rarest values: the range covers the given percentile of the values seen.
 *
 * <p>Symmetric: the threshold is the percentile of |x| and the range is {@code [-t, t]} clipped
 * to what was seen. Asymmetric: {@code (100 - p) / 2} percent is cut from each tail, as ONNX
 * Runtime's percentile calibrator does. Quantiles are read from the histogram as bin edges (the
 * upper edge of the bin where the cumulative count reaches the rank, the lower edge for the lower
 * tail), so they are exact to one bin width and never inside the observed range by more than one.
 */
public final class PercentileCalibrator implements Calibrator {
  private final double percentile;
  private final boolean symmetric;

  /** Creates a calibrator keeping {@code percentile} percent (in (0, 100]) of the values. */
  public PercentileCalibrator(double percentile, boolean symmetric) {
    if (!(percentile > 0 && percentile <= 100)) {
      throw new IllegalArgumentException("percentile must be in (0, 100], found " + percentile);
    }
    this.percentile = percentile;
    this.symmetric = symmetric;
  }

  @Override
  public String method() {
    return CalibrationMethod.PERCENTILE.id();
  }

  /** Returns the percentile of values kept. */
  public double percentile() {
    return percentile;
  }

  @Override
  public TensorRange range(TensorStatistics s) {
    if (s.count() == 0) {
      return Calibrator.empty(s, method());
    }
    double w = s.binWidth();
    if (symmetric) {
      long[] abs = s.absHistogram();
      int j = firstReaching(abs, rank(s.count(), percentile / 100));
      return Calibrator.clipped(s, (j + 1) * w, method());
    }
    long[] h = s.histogram();
    double tail = (1 - percentile / 100) / 2;
    double limit = s.histogramLimit();
    // Cut floor(tail * count) values from each end: the kept values are ranks cut+1 .. count-cut.
    long cut = (long) Math.floor(tail * s.count());
    int lo = firstReaching(h, cut + 1);
    int hi = firstReaching(h, s.count() - cut);
    float min = (float) Math.max(s.min(), -limit + lo * w);
    float max = (float) Math.min(s.max(), -limit + (hi + 1) * w);
    return new TensorRange(
        Math.min(min, max), max, s.min(), s.max(), method(), s.samples(), TensorStatistics.BINS);
  }

  /** Returns the count rank of a quantile, at least 1 and at most {@code count}. */
  private static long rank(long count, double q) {
    return Math.max(1, Math.min(count, (long) Math.ceil(q * count)));
  }

  /** Returns the first bin at which the cumulative count reaches {@code rank}. */
  private static int firstReaching(long[] bins, long rank) {
    long cum = 0;
    for (int i = 0; i < bins.length; i++) {
      cum += bins[i];
      if (cum >= rank) {
        return i;
      }
    }
    return bins.length - 1;
  }
}
