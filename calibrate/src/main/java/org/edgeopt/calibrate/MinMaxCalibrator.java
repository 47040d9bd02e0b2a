package org.edgeopt.calibrate;

import org.edgeopt.core.quant.TensorRange;

/** Takes the observed minimum and maximum as the range: no clipping, so no outlier is lost. */
public final class MinMaxCalibrator implements Calibrator {

  @Override
  public String method() {
    return CalibrationMethod.MINMAX.id();
  }

  @Override
  public boolean needsHistogram() {
    return false;
  }

  @Override
  public TensorRange range(TensorStatistics s) {
    if (s.count() == 0) {
      return Calibrator.empty(s, method());
    }
    return new TensorRange(s.min(), s.max(), s.min(), s.max(), method(), s.samples(), 0);
  }
}
