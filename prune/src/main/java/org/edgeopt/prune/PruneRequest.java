package org.edgeopt.prune;

import java.util.Objects;
import org.edgeopt.core.data.Dataset;
import org.edgeopt.core.targets.TargetProfile;

/**
 * What to prune for, and the data to measure it with.
 *
 * @param profile the target the model will run on
 * @param mode the requested mode ({@link PruneMode#AUTO} lets the profile decide)
 * @param budgetPoints the largest top-1 drop allowed on the holdout, in percentage points
 * @param force whether to run 2:4 pruning even where the target does not exploit it
 * @param holdout the labelled holdout set the budget is measured on
 * @param calibration calibration data (labels unused) for the least-squares refit and recovery, or null
 * @param batchSize the evaluation batch size
 * @param searchLimit how many holdout samples the search measures candidates on (0: all); the
 *     result is always checked on the whole holdout
 * @param calibrationLimit how many calibration samples recovery uses (0: all)
 * @param measureLatency whether to time both models in ONNX Runtime
 */
public record PruneRequest(
    TargetProfile profile,
    PruneMode mode,
    double budgetPoints,
    boolean force,
    Dataset holdout,
    Dataset calibration,
    int batchSize,
    int searchLimit,
    int calibrationLimit,
    boolean measureLatency) {
  public PruneRequest {
    Objects.requireNonNull(profile, "profile");
    Objects.requireNonNull(mode, "mode");
    Objects.requireNonNull(holdout, "holdout");
    if (!(budgetPoints >= 0) || budgetPoints > 100) {
      throw new IllegalArgumentException(
          "budget must be between 0 and 100 points, found " + budgetPoints);
    }
    if (batchSize < 1) {
      throw new IllegalArgumentException("batch size must be at least 1, found " + batchSize);
    }
  }

  /** Returns a request with defaults: batch 100, the whole holdout and calibration set, latency measured. */
  public static PruneRequest of(
      TargetProfile profile,
      PruneMode mode,
      double budgetPoints,
      boolean force,
      Dataset holdout,
      Dataset calibration) {
    return new PruneRequest(
        profile, mode, budgetPoints, force, holdout, calibration, 100, 0, 0, true);
  }

  /** Returns a copy that searches on the first {@code n} holdout samples only. */
  public PruneRequest withSearchLimit(int n) {
    return new PruneRequest(
        profile,
        mode,
        budgetPoints,
        force,
        holdout,
        calibration,
        batchSize,
        n,
        calibrationLimit,
        measureLatency);
  }

  /** Returns a copy that uses the first {@code n} calibration samples only. */
  public PruneRequest withCalibrationLimit(int n) {
    return new PruneRequest(
        profile,
        mode,
        budgetPoints,
        force,
        holdout,
        calibration,
        batchSize,
        searchLimit,
        n,
        measureLatency);
  }

  /** Returns a copy with latency measured or not. */
  public PruneRequest withLatency(boolean measure) {
    return new PruneRequest(
        profile,
        mode,
        budgetPoints,
        force,
        holdout,
        calibration,
        batchSize,
        searchLimit,
        calibrationLimit,
        measure);
  }
}
