package org.edgeopt.deploy;

import java.util.List;

/**
 * The canary gate's decision with each check behind it.
 *
 * @param decision {@code PROMOTE} or {@code ROLLBACK}
 * @param baselineRecords records of the current version
 * @param canaryRecords records of the canary version
 * @param thresholds the thresholds applied
 * @param checks every check, in a fixed order
 */
public record CanaryReport(
    String decision,
    long baselineRecords,
    long canaryRecords,
    CanaryThresholds thresholds,
    List<Check> checks) {

  /** Returns whether the canary may be promoted. */
  public boolean promote() {
    return decision.equals("PROMOTE");
  }

  /**
   * One check.
   *
   * @param name what is compared
   * @param test the statistical test, in words
   * @param baseline the current version's figure
   * @param canary the canary's figure
   * @param statistic the figure the decision reads (a bound, a ratio, a distance)
   * @param limit the threshold it is held to
   * @param outcome {@code pass}, {@code fail} or {@code skipped}
   * @param message one line
   */
  public record Check(
      String name,
      String test,
      double baseline,
      double canary,
      double statistic,
      double limit,
      String outcome,
      String message) {}
}
