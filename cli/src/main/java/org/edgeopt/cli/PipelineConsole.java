package org.edgeopt.cli;

import java.io.PrintWriter;
import org.edgeopt.pipeline.PipelineListener;
import org.edgeopt.pipeline.PipelineResult;
import org.edgeopt.pipeline.StageResult;

/** Shows pipeline progress, one line per stage, and the final summary table. */
final class PipelineConsole implements PipelineListener {
  private final PrintWriter out;
  private final boolean quiet;

  PipelineConsole(PrintWriter out, boolean quiet) {
    this.out = out;
    this.quiet = quiet;
  }

  @Override
  public void stageStarted(String stage, String description) {
    if (!quiet) {
      out.printf("%-9s ... %s%n", stage, description);
      out.flush();
    }
  }

  @Override
  public void stageFinished(StageResult r) {
    if (!quiet) {
      out.printf(
          "%-9s %s %6.1fs  %s%n",
          r.stage(), r.skipped() ? "up to date" : "done      ", r.seconds(), r.keyFigure());
      out.flush();
    }
  }

  /** Prints the summary table: stage, time, artifact, key figure; then the verdict. */
  void summary(PipelineResult result) {
    out.println();
    out.printf(
        "%-9s  %-10s  %7s  %-28s  %s%n", "STAGE", "STATUS", "TIME", "ARTIFACT", "KEY FIGURE");
    for (StageResult r : result.stages()) {
      String artifact =
          r.artifacts().isEmpty() ? "-" : r.artifacts().get(0).getFileName().toString();
      out.printf(
          "%-9s  %-10s  %6.1fs  %-28s  %s%n",
          r.stage(), r.skipped() ? "up to date" : "ran", r.seconds(), artifact, r.keyFigure());
    }
    out.println();
    out.println((result.gatePassed() ? "PASS" : "FAIL") + ": " + result.summary());
    result.gateReasons().forEach(reason -> out.println("  - " + reason));
    out.println("report: " + result.reportDir().resolve("report.html"));
    out.flush();
  }
}
