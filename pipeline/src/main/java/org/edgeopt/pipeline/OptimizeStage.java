package org.edgeopt.pipeline;

import java.nio.file.Path;
import java.util.List;
import org.edgeopt.core.EdgeoptException;
import org.edgeopt.optimize.AccuracyBar;
import org.edgeopt.optimize.Budgets;
import org.edgeopt.optimize.Objective;
import org.edgeopt.optimize.OptimizeListener;
import org.edgeopt.optimize.OptimizeRequest;
import org.edgeopt.optimize.OptimizeResult;
import org.edgeopt.optimize.Optimizer;

/**
 * The {@code optimize:} section of {@code edgeopt.yaml}: runs the search of {@code edgeopt
 * optimize} in place of calibrate, quantize, compile and validate, with the gate's top-1 drop and
 * agreement as the bar. A re-run continues the recorded search ({@code search.json}) rather than
 * starting over, as the pipeline skips stages whose inputs did not change.
 */
final class OptimizeStage {
  private OptimizeStage() {}

  static PipelineResult run(PipelineConfig config, Path out, PipelineListener listener) throws EdgeoptException {
    PipelineConfig.Optimize o = config.optimize();
    OptimizeRequest request;
    try {
      request = new OptimizeRequest(config.model(), config.target(), config.calibration().data(),
          config.calibration().samples(), config.holdout().data(), config.holdout().samples(), config.preprocess(),
          config.classes(), new AccuracyBar(config.gate().maxTop1Drop(), config.gate().minAgreement()),
          Objective.of(o.objective()), Budgets.parse(o.budget()), o.trials(), o.seed(), o.latencyRuns(), out, true);
    } catch (IllegalArgumentException e) {
      throw EdgeoptException.invalid("optimize: " + e.getMessage(), e);
    }
    listener.stageStarted("optimize", "search within top-1 drop " + config.gate().maxTop1Drop() + " points, "
        + o.trials() + " trials, budget " + o.budget());
    long t0 = System.nanoTime();
    OptimizeResult r = new Optimizer(request, OptimizeListener.silent()).run();
    StageResult stage = new StageResult("optimize", false, (System.nanoTime() - t0) / 1e9, r.artifacts(),
        (r.met() ? "met: " : "NOT met: ") + r.log().trials().size() + " trials");
    listener.stageFinished(stage);
    return new PipelineResult(List.of(stage), r.met(), r.met() ? List.of() : List.of(r.log().why()), r.log().why(), out);
  }
}
