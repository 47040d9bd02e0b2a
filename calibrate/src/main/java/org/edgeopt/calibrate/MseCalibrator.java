package org.edgeopt.calibrate;

import org.edgeopt.core.quant.TensorRange;

/**
 * Chooses the threshold on |x| that minimises the expected squared quantization error, clipping
 * and rounding together.
 *
 * <p>Candidates are the histogram's bin edges {@code k * binWidth} up to one past the largest
 * |x|, searched every {@value #COARSE} edges and then edge by edge around the best (the error is a
 * smooth function of the threshold, a sum over thousands of bins). For each candidate, every
 * non-empty bin's centre is quantized and dequantized as the quantizer will do it
 * (symmetric: scale {@code t/127}, zero point 0, codes in [-127, 127]; asymmetric: the range
 * {@code [max(min, -t), min(max, t)]} widened to include 0 over 256 codes, round half to even) and
 * the squared error weighted by the bin's count is summed: the method of NVIDIA's
 * pytorch-quantization histogram calibrator. The smallest error wins, the smallest threshold on
 * ties.
 */
public final class MseCalibrator implements Calibrator {
  /** The stride of the coarse search, in bins. */
  static final int COARSE = 8;

  private final boolean symmetric;

  /** Creates the calibrator for symmetric (zero point 0) or asymmetric activations. */
  public MseCalibrator(boolean symmetric) {
    this.symmetric = symmetric;
  }

  @Override
  public String method() {
    return CalibrationMethod.MSE.id();
  }

  @Override
  public TensorRange range(TensorStatistics s) {
    if (s.count() == 0) {
      return Calibrator.empty(s, method());
    }
    double w = s.binWidth();
    double limit = s.histogramLimit();
    long[] h = s.histogram();
    // Only non-empty bins matter; keep their centres and counts in two dense arrays.
    int n = 0;
    for (long c : h) {
      n += c != 0 ? 1 : 0;
    }
    double[] centre = new double[n];
    double[] weight = new double[n];
    int filled = 0;
    double absMax = Math.max(Math.abs(s.min()), Math.abs(s.max()));
    for (int i = 0; i < h.length; i++) {
      if (h[i] != 0) {
        // Clamp the centre into the observed range: the extreme bins are only partly occupied.
        centre[filled] = Math.max(s.min(), Math.min(s.max(), -limit + (i + 0.5) * w));
        weight[filled++] = h[i];
      }
    }
    int lastCandidate = (int) Math.min(h.length / 2, Math.ceil(absMax / w) + 1);
    double bestError = Double.POSITIVE_INFINITY;
    int best = lastCandidate;
    for (int c = COARSE; c <= lastCandidate + COARSE - 1; c += COARSE) {
      int k = Math.min(c, lastCandidate);
      double err = error(centre, weight, k * w, s);
      if (err < bestError) {
        bestError = err;
        best = k;
      }
    }
    int around = best;
    for (int k = Math.max(1, around - COARSE + 1);
        k <= Math.min(lastCandidate, around + COARSE - 1);
        k++) {
      double err = error(centre, weight, k * w, s);
      if (err < bestError || (err == bestError && k < best)) {
        bestError = err;
        best = k;
      }
    }
    return Calibrator.clipped(s, best * w, method());
  }

  private double error(double[] centre, double[] weight, double t, TensorStatistics s) {
    return symmetric ? symmetricError(centre, weight, t) : asymmetricError(centre, weight, t, s);
  }

  private static double symmetricError(double[] centre, double[] weight, double t) {
    double scale = t / 127;
    double err = 0;
    for (int i = 0; i < centre.length; i++) {
      double x = centre[i];
      double q = Math.max(-127, Math.min(127, Math.rint(x / scale)));
      double d = x - q * scale;
      err += weight[i] * d * d;
    }
    return err;
  }

  private static double asymmetricError(
      double[] centre, double[] weight, double t, TensorStatistics s) {
    double lo = Math.min(0, Math.max(s.min(), -t));
    double hi = Math.max(0, Math.min(s.max(), t));
    double scale = (hi - lo) / 255;
    if (!(scale > 0)) {
      return Double.POSITIVE_INFINITY;
    }
    double zeroPoint = Math.rint(-lo / scale);
    double err = 0;
    for (int i = 0; i < centre.length; i++) {
      double x = centre[i];
      double q = Math.max(0, Math.min(255, Math.rint(x / scale) + zeroPoint));
      double d = x - (q - zeroPoint) * scale;
      err += weight[i] * d * d;
    }
    return err;
  }
}
