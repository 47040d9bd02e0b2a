package org.edgeopt.deploy;

import java.nio.file.Path;
import java.util.List;

/**
 * A monitoring run: the telemetry files, the window length, the thresholds, how many uncertain
 * samples to queue, and optionally the one model version to look at.
 *
 * @param telemetry JSON Lines or CSV files, read in order
 * @param windowMinutes the length of a time window
 * @param thresholds when to alert
 * @param uncertainTopK how many uncertain samples to rank
 * @param modelVersion only records of this model version count, or {@code null} for all
 */
public record MonitorConfig(
    List<Path> telemetry,
    long windowMinutes,
    MonitorThresholds thresholds,
    int uncertainTopK,
    String modelVersion) {

  /** Checks the ranges and copies the list. */
  public MonitorConfig {
    telemetry = List.copyOf(telemetry);
    if (telemetry.isEmpty()) {
      throw new IllegalArgumentException("no telemetry files: expected at least one");
    }
    if (windowMinutes < 1) {
      throw new IllegalArgumentException(
          "the window must be at least 1 minute, found " + windowMinutes);
    }
    if (uncertainTopK < 0) {
      throw new IllegalArgumentException(
          "the uncertain-sample count must be 0 or more, found " + uncertainTopK);
    }
  }
}
