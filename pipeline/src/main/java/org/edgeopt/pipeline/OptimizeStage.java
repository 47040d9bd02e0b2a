package org.edgeopt.pipeline;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.edgeopt.core.EdgeoptException;
import org.edgeopt.optimize.AccuracyBar;
import org.edgeopt.optimize.Budgets;
import org.edgeopt.optimize.Objective;
import org.edgeopt.optimize.OptimizeListener;
import org.edgeopt.optimize.OptimizeRequest;
import org.edgeopt.optimize.OptimizeResult;
import org.edgeopt.optimize.Optimizer;
import org.edgeopt.optimize.SearchLog;

/**
 * The {@code optimize:} section of {@code edgeopt.yaml}: runs the search of {@code edgeopt
 * optimize} in place of calibrate, quantize, compile and validate, with the gate's top-1 drop and
 * agreement as the bar. A re-run with nothing changed is skipped; with only the budget or the trial
 * count changed it continues the recorded search ({@code search.json}); with changed inputs or bar
 * it starts over, as any stage whose inputs changed.
 */
final class OptimizeStage {
  private OptimizeStage() {}

  /** Returns the stage's one-line description. */
  static String description(PipelineConfig config) {
    PipelineConfig.Optimize o = config.optimize();
    return "search within top-1 drop "
        + config.gate().maxTop1Drop()
        + " points, "
        + o.trials()
        + " trials, budget "
        + o.budget();
  }

  /** Runs (or continues) the search; returns its artifacts and verdict as a stage entry. */
  static StageState.Entry run(PipelineConfig config, Path out) throws EdgeoptException {
    PipelineConfig.Optimize o = config.optimize();
    boolean keepTrials;
    try {
      keepTrials = OptimizeRequest.keepTrialModels(o.keepTrials());
    } catch (IllegalArgumentException e) {
      throw EdgeoptException.invalid("optimize.keepTrials: " + e.getMessage(), e);
    }
    OptimizeRequest request;
    try {
      request =
          new OptimizeRequest(
              config.model(),
              config.target(),
              config.calibration().data(),
              config.calibration().samples(),
              config.holdout().data(),
              config.holdout().samples(),
              config.preprocess(),
              config.classes(),
              new AccuracyBar(config.gate().maxTop1Drop(), config.gate().minAgreement()),
              Objective.of(o.objective()),
              Budgets.parse(o.budget()),
              o.trials(),
              o.seed(),
              o.latencyRuns(),
              out,
              true,
              keepTrials);
    } catch (IllegalArgumentException e) {
      throw EdgeoptException.invalid("optimize: " + e.getMessage(), e);
    }
    Optimizer optimizer = new Optimizer(request, OptimizeListener.silent());
    Path recorded = out.resolve(SearchLog.FILE);
    if (Files.exists(recorded) && !optimizer.canResume()) {
      // The inputs or the bar changed: as any stage whose inputs changed, the search starts over.
      try {
        Files.delete(recorded);
      } catch (IOException e) {
        throw EdgeoptException.invalid(
            recorded + ": cannot remove the previous search: " + e.getMessage(), e);
      }
    }
    OptimizeResult r = optimizer.run();
    return new StageState.Entry(
        "",
        r.artifacts().stream().map(p -> p.toAbsolutePath().toString()).toList(),
        (r.met() ? "met: " : "NOT met: ") + r.log().trials().size() + " trials");
  }
}
