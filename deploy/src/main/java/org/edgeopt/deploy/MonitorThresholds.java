package org.edgeopt.deploy;

/**
 * When a window of field telemetry raises an alert; every default is stated in
 * {@code docs/operations.md} with the reason for it.
 *
 * @param minSamples a device or fleet window is judged only with at least this many predictions
 * @param alpha the significance level every test must reach before its alert fires
 * @param maxPsi the largest population stability index of the confidence distribution
 * @param maxMeanConfidenceDrop the largest drop of the mean top-1 confidence (probability units)
 * @param maxClassMixDistance the largest total variation distance of the predicted-class mix
 * @param maxLatencyRatio the largest p95 latency as a multiple of the reference (baseline, or the peers' median)
 * @param maxFailureRate the largest share of failed inferences (judged by its Wilson lower bound)
 * @param maxAccuracyDrop the largest labelled-accuracy drop below the baseline (judged by the Wilson upper bound)
 * @param minLabelled labelled accuracy is judged only with at least this many labels
 */
public record MonitorThresholds(int minSamples, double alpha, double maxPsi, double maxMeanConfidenceDrop,
    double maxClassMixDistance, double maxLatencyRatio, double maxFailureRate, double maxAccuracyDrop, int minLabelled) {

  /** Checks the ranges. */
  public MonitorThresholds {
    if (minSamples < 1) {
      throw new IllegalArgumentException("minimum samples must be at least 1, found " + minSamples);
    }
    if (!(alpha > 0 && alpha < 1)) {
      throw new IllegalArgumentException("alpha must be in (0, 1), found " + alpha);
    }
    if (!(maxLatencyRatio >= 1)) {
      throw new IllegalArgumentException("the latency ratio must be at least 1, found " + maxLatencyRatio);
    }
    for (double v : new double[] {maxPsi, maxMeanConfidenceDrop, maxClassMixDistance, maxFailureRate, maxAccuracyDrop}) {
      if (!(v >= 0)) {
        throw new IllegalArgumentException("thresholds must be non-negative numbers, found " + v);
      }
    }
  }

  /** Returns the documented defaults. */
  public static MonitorThresholds defaults() {
    return new MonitorThresholds(200, 0.001, 0.2, 0.05, 0.1, 1.5, 0.02, 0.05, 30);
  }
}
