package org.edgeopt.quantize;

/**
 * The per-channel weight range that minimizes the channel's squared rounding error
 * {@code sum (s * clamp(round(w / s)) - w)^2}, searched over clipped fractions of the largest
 * magnitude: a smaller scale rounds every weight more finely and clips only the few largest, which
 * on a 7-bit grid often lowers the total error (data-free, Banner et al., "Post-training 4-bit
 * quantization", NeurIPS 2019, do the same for activations).
 *
 * <p>Candidates are {@code max|w| * (1 - i / STEPS * (1 - MIN_FRACTION))}, {@code i = 0..STEPS};
 * ties keep the larger range, so a channel whose best range is its maximum keeps it exactly and
 * a channel already on its grid (the output of {@link AdaRound}) is never clipped again.
 */
final class WeightClipSearch {
  /** The smallest fraction of {@code max|w|} tried. */
  static final double MIN_FRACTION = 0.5;

  /** The number of steps between the full range and {@link #MIN_FRACTION} of it. */
  static final int STEPS = 50;

  private WeightClipSearch() {}

  /**
   * Returns the range (the value mapped to {@code qmax}) of one channel whose elements are the
   * runs {@code w[(o * channels + c) * inner ... + inner)} for every {@code o < outer}.
   */
  static float bestRange(
      float[] w, int outer, int channels, int inner, int c, float absMax, int qmax) {
    if (absMax == 0) {
      return 0;
    }
    float best = absMax;
    double bestError = error(w, outer, channels, inner, c, absMax / qmax, qmax);
    for (int i = 1; i <= STEPS; i++) {
      float range = (float) (absMax * (1 - i * (1 - MIN_FRACTION) / STEPS));
      // The float scale QuantParams derives from the range, so the error is the one the grid has.
      double e = error(w, outer, channels, inner, c, range / qmax, qmax);
      if (e < bestError) {
        bestError = e;
        best = range;
      }
    }
    return best;
  }

  /** Returns the squared rounding error of one channel at scale {@code s}. */
  static double error(float[] w, int outer, int channels, int inner, int c, double s, int qmax) {
    double sum = 0;
    for (int o = 0; o < outer; o++) {
      int base = (o * channels + c) * inner;
      for (int k = base; k < base + inner; k++) {
        double r = Math.rint(w[k] / s);
        r = r > qmax ? qmax : r < -qmax ? -qmax : r;
        double d = r * s - w[k];
        sum += d * d;
      }
    }
    return sum;
  }
}
