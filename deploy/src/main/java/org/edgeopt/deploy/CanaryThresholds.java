package org.edgeopt.deploy;

/**
 * How the canary gate decides; the defaults and why are in {@code docs/operations.md}.
 *
 * @param minSamples the fewest predictions each side needs before any decision
 * @param minLabelled the fewest labels each side needs for the accuracy check (else it is skipped)
 * @param confidenceLevel the one-sided confidence of the non-inferiority bounds (0.95)
 * @param alpha the significance level of the class-mix and accuracy tests
 * @param maxMeanConfidenceDrop the non-inferiority margin of the mean top-1 confidence
 * @param maxClassMixDistance the largest total variation distance between the two class mixes
 * @param maxLatencyRatio the largest canary p95 latency as a multiple of the baseline's
 * @param maxFailureRateRise the non-inferiority margin of the failure rate
 * @param maxAccuracyDrop the largest labelled-accuracy drop
 */
public record CanaryThresholds(
    int minSamples,
    int minLabelled,
    double confidenceLevel,
    double alpha,
    double maxMeanConfidenceDrop,
    double maxClassMixDistance,
    double maxLatencyRatio,
    double maxFailureRateRise,
    double maxAccuracyDrop) {

  /** Checks the ranges. */
  public CanaryThresholds {
    if (minSamples < 2 || minLabelled < 2) {
      throw new IllegalArgumentException(
          "minimum sample sizes must be at least 2, found " + minSamples + " and " + minLabelled);
    }
    if (!(confidenceLevel > 0.5 && confidenceLevel < 1) || !(alpha > 0 && alpha < 1)) {
      throw new IllegalArgumentException(
          "confidence level must be in (0.5, 1) and alpha in (0, 1)");
    }
    if (!(maxLatencyRatio >= 1)) {
      throw new IllegalArgumentException(
          "the latency ratio must be at least 1, found " + maxLatencyRatio);
    }
  }

  /** Returns the documented defaults. */
  public static CanaryThresholds defaults() {
    return new CanaryThresholds(1000, 200, 0.95, 0.001, 0.02, 0.1, 1.2, 0.01, 0.03);
  }
}
