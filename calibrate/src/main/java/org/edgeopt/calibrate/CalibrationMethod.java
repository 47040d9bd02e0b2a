package org.edgeopt.calibrate;

import java.util.Arrays;
import java.util.Locale;
import org.edgeopt.core.EdgeoptException;

/** The calibration methods a run can choose, each backed by one {@link Calibrator}. */
public enum CalibrationMethod {
  /** The observed minimum and maximum. */
  MINMAX,
  /** A percentile of the values (99.99 by default). */
  PERCENTILE,
  /** The KL-divergence threshold, as TensorRT's entropy calibrator. */
  ENTROPY,
  /** The threshold with the least expected squared quantization error. */
  MSE;

  /** Returns the lower-case name used on the command line and in {@code calibration.json}. */
  public String id() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** Returns the calibrator for this method with the given settings. */
  public Calibrator calibrator(double percentile, boolean symmetric) {
    return switch (this) {
      case MINMAX -> new MinMaxCalibrator();
      case PERCENTILE -> new PercentileCalibrator(percentile, symmetric);
      case ENTROPY -> new EntropyCalibrator();
      case MSE -> new MseCalibrator(symmetric);
    };
  }

  /** Returns the method named {@code id} (case-insensitive); {@code where} names its source in errors. */
  public static CalibrationMethod of(String id, String where) throws EdgeoptException {
    for (CalibrationMethod m : values()) {
      if (m.id().equalsIgnoreCase(id == null ? "" : id.strip())) {
        return m;
      }
    }
    throw EdgeoptException.invalid(
        where
            + ": expected a calibration method ("
            + String.join(", ", Arrays.stream(values()).map(CalibrationMethod::id).toList())
            + "), found '"
            + id
            + "'");
  }
}
