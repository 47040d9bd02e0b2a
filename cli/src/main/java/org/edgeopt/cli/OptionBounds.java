package org.edgeopt.cli;

import java.util.Locale;
import picocli.CommandLine;

/**
 * The accepted range of every numeric option, checked before a command reads anything: a value
 * out of range is a usage error (exit 2) that names the option, the range and what was given,
 * instead of minutes of work ({@code --threads 100000}) or a failure deep inside a stage.
 */
final class OptionBounds {
  /** The largest batch any command runs: far past what a model benefits from, short of exhausting memory. */
  static final int MAX_BATCH = 4096;

  /** The most latency or warm-up runs: 100,000 runs of even a 1 ms model take minutes. */
  static final int MAX_RUNS = 100_000;

  /** The most samples quantize measures per-layer SQNR on: each one's activations are kept per layer. */
  static final int MAX_SENSITIVITY_SAMPLES = 100_000;

  /** The most holdout batches the per-layer diagnosis runs. */
  static final int MAX_DIAGNOSIS_BATCHES = 10_000;

  private OptionBounds() {}

  /**
   * Returns the most threads a command may ask for: four per CPU core (room for hyper-threads
   * and oversubscription experiments), and never more than 256.
   */
  static int maxThreads() {
    return Math.min(256, 4 * Runtime.getRuntime().availableProcessors());
  }

  /** Checks {@code --threads}: 0 (the runtime's default) to {@link #maxThreads()}. */
  static void threads(CommandLine cl, int value) {
    check(
        cl,
        "--threads",
        value,
        0,
        maxThreads(),
        "0 for the runtime's default, at most 4 per CPU core of this machine ("
            + Runtime.getRuntime().availableProcessors()
            + ") and 256 in all");
  }

  /** Checks a batch size: 1 to {@link #MAX_BATCH}. */
  static void batchSize(CommandLine cl, String option, int value) {
    check(cl, option, value, 1, MAX_BATCH, "samples per inference");
  }

  /**
   * Fails with a usage error unless {@code min <= value <= max}.
   *
   * @param why what the option means or why the limit is what it is, in words
   */
  static void check(CommandLine cl, String option, long value, long min, long max, String why) {
    if (value < min || value > max) {
      throw new CommandLine.ParameterException(
          cl,
          String.format(
              Locale.ROOT, "%s must be %d to %d (%s), found %d", option, min, max, why, value));
    }
  }
}
