package org.edgeopt.calibrate;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import org.edgeopt.core.EdgeoptException;
import org.edgeopt.core.targets.TargetProfile;

/**
 * How a calibration run is done: the method and its settings, how many samples in batches of
 * which size, and whether the target needs symmetric activations.
 *
 * @param method the calibrator to choose ranges with
 * @param percentile the percentile kept by the percentile method, in (0, 100]
 * @param samples the most samples to read, {@link Integer#MAX_VALUE} for all
 * @param batchSize samples per inference (a model with a fixed batch dimension overrides it)
 * @param symmetric whether activations get zero point 0 on the target
 * @param threads ONNX Runtime intra-op threads, 0 for all cores but one (the statistics thread takes that one)
 * @param histogram whether to collect histograms even when the method does not need them
 *     (so one collection can serve every method)
 * @param target the name of the target profile the defaults came from, or null
 */
public record CalibrationConfig(
    CalibrationMethod method,
    double percentile,
    int samples,
    int batchSize,
    boolean symmetric,
    int threads,
    boolean histogram,
    String target) {

  /** The default percentile of the percentile method. */
  public static final double DEFAULT_PERCENTILE = 99.99;

  /** The default batch size. */
  public static final int DEFAULT_BATCH_SIZE = 32;

  public CalibrationConfig {
    Objects.requireNonNull(method, "method");
    if (!(percentile > 0 && percentile <= 100)) {
      throw new IllegalArgumentException("percentile must be in (0, 100], found " + percentile);
    }
    if (samples < 1 || batchSize < 1 || threads < 0) {
      throw new IllegalArgumentException(
          "samples and batch size must be >= 1 and threads >= 0, found samples "
              + samples
              + ", batch size "
              + batchSize
              + ", threads "
              + threads);
    }
  }

  /** Returns settings for {@code method}: every sample, batches of 32, asymmetric activations. */
  public static CalibrationConfig of(CalibrationMethod method) {
    return new CalibrationConfig(
        method, DEFAULT_PERCENTILE, Integer.MAX_VALUE, DEFAULT_BATCH_SIZE, false, 0, false, null);
  }

  /** Returns the defaults of a target: its default method and activation symmetry. */
  public static CalibrationConfig forTarget(TargetProfile profile) throws EdgeoptException {
    CalibrationMethod m =
        CalibrationMethod.of(
            profile.defaultCalibration(),
            "target profile '" + profile.name() + "', defaultCalibration");
    return new CalibrationConfig(
        m,
        DEFAULT_PERCENTILE,
        Integer.MAX_VALUE,
        DEFAULT_BATCH_SIZE,
        profile.symmetricActivations(),
        0,
        false,
        profile.name());
  }

  /** Returns a copy with another method. */
  public CalibrationConfig withMethod(CalibrationMethod m) {
    return new CalibrationConfig(
        m, percentile, samples, batchSize, symmetric, threads, histogram, target);
  }

  /** Returns a copy with another percentile. */
  public CalibrationConfig withPercentile(double p) {
    return new CalibrationConfig(
        method, p, samples, batchSize, symmetric, threads, histogram, target);
  }

  /** Returns a copy that reads at most {@code n} samples. */
  public CalibrationConfig withSamples(int n) {
    return new CalibrationConfig(
        method, percentile, n, batchSize, symmetric, threads, histogram, target);
  }

  /** Returns a copy with another batch size. */
  public CalibrationConfig withBatchSize(int n) {
    return new CalibrationConfig(
        method, percentile, samples, n, symmetric, threads, histogram, target);
  }

  /** Returns a copy for symmetric or asymmetric activations. */
  public CalibrationConfig withSymmetric(boolean s) {
    return new CalibrationConfig(
        method, percentile, samples, batchSize, s, threads, histogram, target);
  }

  /** Returns a copy with another ONNX Runtime thread count. */
  public CalibrationConfig withThreads(int n) {
    return new CalibrationConfig(
        method, percentile, samples, batchSize, symmetric, n, histogram, target);
  }

  /** Returns a copy that always collects histograms, so the statistics serve every method. */
  public CalibrationConfig withHistogram(boolean h) {
    return new CalibrationConfig(
        method, percentile, samples, batchSize, symmetric, threads, h, target);
  }

  /** Returns the calibrator of the configured method. */
  public Calibrator calibrator() {
    return method.calibrator(percentile, symmetric);
  }

  /** Returns whether the run collects histograms. */
  public boolean collectsHistogram() {
    return histogram || calibrator().needsHistogram();
  }

  /** Returns the settings as strings, for the provenance of {@code calibration.json}. */
  public Map<String, String> describe() {
    Map<String, String> m = new LinkedHashMap<>();
    m.put("config.method", method.id());
    if (method == CalibrationMethod.PERCENTILE) {
      m.put("config.percentile", Double.toString(percentile));
    }
    m.put("config.samples", samples == Integer.MAX_VALUE ? "all" : Integer.toString(samples));
    m.put("config.batchSize", Integer.toString(batchSize));
    m.put("config.symmetric", Boolean.toString(symmetric));
    if (target != null) {
      m.put("config.target", target);
    }
    return m;
  }
}
