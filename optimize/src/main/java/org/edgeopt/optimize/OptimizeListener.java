package org.edgeopt.optimize;

import java.time.Duration;

/** Hears how a search goes: set-up steps and each finished trial. */
public interface OptimizeListener {
  /** Called for each set-up step (ingest, calibration statistics, final compile). */
  default void step(String message) {}

  /**
   * Called after each trial, once it is in {@code search.json}.
   *
   * @param trial the trial just measured
   * @param best the best trial so far by the objective (meeting the bar when any does)
   * @param done trials done, resumed ones included
   * @param max the most trials
   * @param left the budget left
   */
  default void trialFinished(Trial trial, Trial best, int done, int max, Duration left) {}

  /** Returns a listener that hears nothing. */
  static OptimizeListener silent() {
    return new OptimizeListener() {};
  }
}
