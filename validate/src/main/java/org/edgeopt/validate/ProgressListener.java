package org.edgeopt.validate;

/**
 * Hears how far a long validation step has come, one step at a time; the command line shows it as
 * a progress bar with an ETA, and {@link #silent()} ignores it.
 */
public interface ProgressListener {

  /** Called when a step with {@code total} units of work (samples, runs) begins. */
  void start(String task, long total);

  /** Called when {@code units} more units are done. */
  void advance(long units);

  /** Called when the step has ended, normally or not. */
  void finish();

  /** Returns a listener that ignores everything. */
  static ProgressListener silent() {
    return new ProgressListener() {
      @Override
      public void start(String task, long total) {}

      @Override
      public void advance(long units) {}

      @Override
      public void finish() {}
    };
  }
}
