package org.edgeopt.pipeline;

import java.nio.file.Path;
import java.util.List;

/**
 * The outcome of a pipeline run: each stage's result and the accuracy gate's verdict.
 *
 * @param stages the stages in the order they ran
 * @param gatePassed whether the accuracy gate passed
 * @param gateReasons why it failed (empty when it passed)
 * @param summary the headline figures, e.g. {@code FP32 91.50% -> INT8 91.40% top-1}
 * @param reportDir the folder holding report.json, report.html and junit.xml
 */
public record PipelineResult(
    List<StageResult> stages,
    boolean gatePassed,
    List<String> gateReasons,
    String summary,
    Path reportDir) {
  public PipelineResult {
    stages = List.copyOf(stages);
    gateReasons = List.copyOf(gateReasons);
  }

  /** Returns the process exit code: 0 when the gate passed, 4 when it failed. */
  public int exitCode() {
    return gatePassed ? 0 : org.edgeopt.core.ExitCode.GATE_FAILED.code();
  }

  /** Returns whether every stage was skipped as up to date. */
  public boolean allSkipped() {
    return stages.stream().allMatch(StageResult::skipped);
  }
}
