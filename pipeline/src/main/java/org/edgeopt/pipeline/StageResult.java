package org.edgeopt.pipeline;

import java.nio.file.Path;
import java.util.List;

/**
 * What one pipeline stage did.
 *
 * @param stage the stage name: ingest, prune, calibrate, quantize, compile, validate
 * @param skipped whether it was skipped because its inputs and config had not changed
 * @param seconds wall time spent
 * @param artifacts the files it wrote (or found up to date)
 * @param keyFigure the one figure a user wants to see, e.g. {@code top-1 drop 0.10 points}
 */
public record StageResult(
    String stage, boolean skipped, double seconds, List<Path> artifacts, String keyFigure) {
  public StageResult {
    artifacts = List.copyOf(artifacts);
  }
}
