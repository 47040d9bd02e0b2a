package org.edgeopt.pipeline;

/** Hears about pipeline progress, so the CLI can draw progress and the Maven plugin can log. */
public interface PipelineListener {

  /** Called when a stage starts. */
  void stageStarted(String stage, String description);

  /** Called when a stage ends, run or skipped. */
  void stageFinished(StageResult result);

  /** Returns a listener that ignores everything. */
  static PipelineListener silent() {
    return new PipelineListener() {
      @Override
      public void stageStarted(String stage, String description) {}

      @Override
      public void stageFinished(StageResult result) {}
    };
  }
}
