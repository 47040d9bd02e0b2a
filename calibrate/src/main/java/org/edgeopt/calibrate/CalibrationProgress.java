package org.edgeopt.calibrate;

/**
 * Receives progress of a calibration run after each batch, e.g. to draw a progress bar. Calls come
 * one at a time, never concurrently, with the count of samples done growing, from whichever thread
 * folded the batch (the calibration's statistics thread or the caller's), and all happen before
 * the calibration returns.
 */
@FunctionalInterface
public interface CalibrationProgress {
  /** Reports nothing. */
  CalibrationProgress NONE = (done, total) -> {};

  /** Called after each batch with the samples done so far and the samples to do in all. */
  void advance(long samplesDone, long samplesTotal);
}
