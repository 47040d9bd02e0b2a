package org.edgeopt.deploy;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;

/**
 * What {@code edgeopt monitor} found: per-window fleet figures, every alert with its device and
 * window, the devices in the order they first drifted, and the most uncertain samples.
 *
 * @param verdict {@code ALERT} when any alert fired, else {@code OK}
 * @param model the bundle's model name and version
 * @param records the telemetry records read
 * @param skipped records of another model version, left out
 * @param devices the devices seen
 * @param windowMinutes the window length
 * @param thresholds the thresholds applied
 * @param baselineMeanConfidence the holdout's mean top-1 confidence
 * @param baselineAccuracy the holdout's top-1 accuracy
 * @param fleet one row per window, the whole fleet together
 * @param firstDrift each device that alerted, with its first window, earliest first
 * @param alerts every alert, by window then scope
 * @param uncertain the most uncertain samples, most uncertain first
 * @param escalation the cascade's field escalation rate, or {@code null} when no record logged {@code escalated}
 */
public record MonitorReport(
    String verdict,
    String model,
    long records,
    long skipped,
    int devices,
    long windowMinutes,
    MonitorThresholds thresholds,
    double baselineMeanConfidence,
    double baselineAccuracy,
    List<WindowFigures> fleet,
    List<DeviceDrift> firstDrift,
    List<Alert> alerts,
    List<UncertainQueue.Entry> uncertain,
    @JsonInclude(JsonInclude.Include.NON_NULL) Escalation escalation) {

  /**
   * How often the fleet's cascade escalated, over every record that logged {@code escalated}.
   *
   * @param logged the records that logged it
   * @param escalated those escalated
   * @param rate escalated over logged
   * @param lower the lower end of its 95% Wilson interval
   * @param upper the upper end
   */
  public record Escalation(long logged, long escalated, double rate, double lower, double upper) {}

  /** Returns whether any alert fired. */
  public boolean alerted() {
    return !alerts.isEmpty();
  }

  /**
   * The figures of one device or of the fleet in one window; NaN where not measurable.
   *
   * @param window the window's start, ISO-8601 UTC
   * @param scope {@value Monitor#FLEET} or the device id
   * @param records records in the window
   * @param failureRate failed share of the records
   * @param meanConfidence mean top-1 confidence
   * @param psi population stability index of the confidence distribution against the baseline
   * @param ksP the Kolmogorov-Smirnov p-value of the same comparison
   * @param classMixDistance total variation distance of the predicted-class mix from the baseline's
   * @param classMixP the chi-square goodness-of-fit p-value of the class mix
   * @param p50Ms median latency
   * @param p95Ms 95th percentile latency
   * @param p99Ms 99th percentile latency
   * @param labelled predictions with a label
   * @param accuracy labelled accuracy
   * @param accuracyLow its 95% Wilson lower bound
   * @param accuracyHigh its 95% Wilson upper bound
   * @param alerts the alerts of this scope in this window
   */
  public record WindowFigures(
      String window,
      String scope,
      long records,
      double failureRate,
      double meanConfidence,
      double psi,
      double ksP,
      double classMixDistance,
      double classMixP,
      double p50Ms,
      double p95Ms,
      double p99Ms,
      long labelled,
      double accuracy,
      double accuracyLow,
      double accuracyHigh,
      int alerts) {}

  /**
   * One alert.
   *
   * @param window the window's start, ISO-8601 UTC
   * @param scope {@value Monitor#FLEET} or the device id
   * @param check the check that fired (see {@code docs/operations.md})
   * @param value the measured figure
   * @param limit the threshold it crossed
   * @param message one line saying what and how much
   */
  public record Alert(
      String window, String scope, String check, double value, double limit, String message) {}

  /**
   * When a device first alerted.
   *
   * @param device the device id
   * @param window the first window with an alert
   * @param checks the checks that fired then
   */
  public record DeviceDrift(String device, String window, List<String> checks) {}
}
