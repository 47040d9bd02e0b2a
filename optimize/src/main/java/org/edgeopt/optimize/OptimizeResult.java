package org.edgeopt.optimize;

import java.nio.file.Path;
import java.util.List;
import org.edgeopt.core.ExitCode;

/**
 * The end of a search.
 *
 * @param log the search log as written
 * @param winner the chosen trial (the closest miss when none meets the bar), or null when no trial ran
 * @param met whether a model meets the bar (its final, compiled form re-validated)
 * @param artifacts the files written, the chosen model's first
 * @param summary one line for the console
 */
public record OptimizeResult(
    SearchLog log, Trial winner, boolean met, List<Path> artifacts, String summary) {
  public OptimizeResult {
    artifacts = List.copyOf(artifacts);
  }

  /** Returns 0 when a model meets the bar, 4 when none does within the budget. */
  public int exitCode() {
    return met ? ExitCode.OK.code() : ExitCode.GATE_FAILED.code();
  }
}
