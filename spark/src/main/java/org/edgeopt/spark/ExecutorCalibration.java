package org.edgeopt.spark;

import java.io.Serializable;
import org.edgeopt.calibrate.CalibrationConfig;
import org.edgeopt.calibrate.CalibrationMethod;

/**
 * The calibration settings an executor needs, shipped with each task: the driver's, but with no
 * sample limit (the source has already cut the data to the first N samples).
 *
 * @param threads ONNX Runtime threads per task
 */
record ExecutorCalibration(
    CalibrationMethod method,
    double percentile,
    int batchSize,
    boolean symmetric,
    int threads,
    boolean histogram,
    String target)
    implements Serializable {
  private static final long serialVersionUID = 1L;

  /** Returns the driver's settings as shipped, with {@code threads} ONNX Runtime threads per task. */
  static ExecutorCalibration of(CalibrationConfig c, int batchSize, int threads) {
    return new ExecutorCalibration(
        c.method(), c.percentile(), batchSize, c.symmetric(), threads, c.histogram(), c.target());
  }

  /** Returns the settings for one partition. */
  CalibrationConfig config() {
    return new CalibrationConfig(
        method, percentile, Integer.MAX_VALUE, batchSize, symmetric, threads, histogram, target);
  }
}
