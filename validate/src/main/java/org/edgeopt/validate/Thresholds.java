package org.edgeopt.validate;

/**
 * The limits of the accuracy gate; a {@code null} limit is not checked.
 *
 * <p>Accuracy figures are in percentage points and percent so that a README example reads as
 * users think ("at most 1 point of top-1 lost, at least 98% of predictions unchanged").
 *
 * @param maxTop1DropPoints the largest allowed top-1 drop, in percentage points (reference minus
 *     candidate); 0 allows no loss at all
 * @param minAgreementPercent the smallest allowed share of samples on which both models predict
 *     the same class, in percent
 * @param maxP95LatencyMs the largest allowed 95th-percentile batch-1 latency of the candidate, in
 *     milliseconds
 * @param maxOutputError the largest allowed absolute difference between any candidate output
 *     element and the reference's, for regression or detector heads
 */
public record Thresholds(
    Double maxTop1DropPoints,
    Double minAgreementPercent,
    Double maxP95LatencyMs,
    Double maxOutputError) {

  /** The top-1 drop allowed when no threshold is given at all: one percentage point. */
  public static final double DEFAULT_MAX_TOP1_DROP_POINTS = 1.0;

  /**
   * Checks that every limit given is a finite, non-negative number (and agreement at most 100).
   *
   * @throws IllegalArgumentException naming the bad limit
   */
  public Thresholds {
    check("max top-1 drop", maxTop1DropPoints);
    check("min agreement", minAgreementPercent);
    check("max p95 latency", maxP95LatencyMs);
    check("max output error", maxOutputError);
    if (minAgreementPercent != null && minAgreementPercent > 100) {
      throw new IllegalArgumentException(
          "min agreement must be a percentage in [0, 100], was " + minAgreementPercent);
    }
  }

  /** Returns thresholds that check nothing. */
  public static Thresholds none() {
    return new Thresholds(null, null, null, null);
  }

  /** Returns the default gate: at most {@value #DEFAULT_MAX_TOP1_DROP_POINTS} point of top-1 lost. */
  public static Thresholds defaults() {
    return new Thresholds(DEFAULT_MAX_TOP1_DROP_POINTS, null, null, null);
  }

  /** Returns a copy with another top-1 drop limit. */
  public Thresholds withMaxTop1DropPoints(Double points) {
    return new Thresholds(points, minAgreementPercent, maxP95LatencyMs, maxOutputError);
  }

  /** Returns a copy with another agreement limit. */
  public Thresholds withMinAgreementPercent(Double percent) {
    return new Thresholds(maxTop1DropPoints, percent, maxP95LatencyMs, maxOutputError);
  }

  /** Returns a copy with another latency limit. */
  public Thresholds withMaxP95LatencyMs(Double ms) {
    return new Thresholds(maxTop1DropPoints, minAgreementPercent, ms, maxOutputError);
  }

  /** Returns a copy with another output-error limit. */
  public Thresholds withMaxOutputError(Double error) {
    return new Thresholds(maxTop1DropPoints, minAgreementPercent, maxP95LatencyMs, error);
  }

  /** Returns whether no limit is set. */
  public boolean isEmpty() {
    return maxTop1DropPoints == null
        && minAgreementPercent == null
        && maxP95LatencyMs == null
        && maxOutputError == null;
  }

  private static void check(String what, Double v) {
    if (v != null && (v.isNaN() || v.isInfinite() || v < 0)) {
      throw new IllegalArgumentException(what + " must be a finite number >= 0, was " + v);
    }
  }
}
