package org.edgeopt.calibrate;

import org.edgeopt.core.quant.TensorRange;

/**
 * Chooses the range to quantize a tensor to from its statistics: the step from mergeable runtime
 * statistics to a frozen, serializable {@link TensorRange}.
 *
 * <p>Implementations are immutable and deterministic: the same statistics give the same range.
 */
public interface Calibrator {

  /** Returns the method name written into {@code calibration.json}: minmax, percentile, entropy or mse. */
  String method();

  /** Returns whether this calibrator needs a histogram (all but minmax). */
  default boolean needsHistogram() {
    return true;
  }

  /** Returns the range to quantize the tensor described by {@code stats} to. */
  TensorRange range(TensorStatistics stats);

  /** Returns the range {@code [max(min, -t), min(max, t)]}: a threshold on |x| clipped to what was seen. */
  static TensorRange clipped(TensorStatistics s, double threshold, String method) {
    float lo = (float) Math.max(s.min(), -threshold);
    float hi = (float) Math.min(s.max(), threshold);
    return new TensorRange(lo, hi, s.min(), s.max(), method, s.samples(), TensorStatistics.BINS);
  }

  /** Returns the range of a tensor that produced no values: zero, so it quantizes exactly. */
  static TensorRange empty(TensorStatistics s, String method) {
    return new TensorRange(
        0f, 0f, 0f, 0f, method, s.samples(), s.hasHistogram() ? TensorStatistics.BINS : 0);
  }
}
