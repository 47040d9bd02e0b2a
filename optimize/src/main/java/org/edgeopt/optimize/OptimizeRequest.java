package org.edgeopt.optimize;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * Everything one search needs: the model and target, the data, the bar, the objective and how
 * much search to spend.
 *
 * @param model the FP32 ONNX model
 * @param target the target profile name or profile file
 * @param calibration the calibration data (any format {@code Datasets.open} reads)
 * @param calibrationSamples calibration samples to use, 0 for all
 * @param holdout the labelled holdout every trial is measured on
 * @param holdoutSamples holdout samples to use, 0 for all
 * @param preprocess the preprocessing spec of both data sets
 * @param classes class names in output order, or empty
 * @param bar the accuracy a solution must keep
 * @param objective what to minimize among solutions
 * @param budget the wall time the search may spend, over all resumed runs together
 * @param maxTrials the most trials, over all resumed runs together
 * @param seed the seed of the evolutionary phase: the same seed gives the same trials
 * @param latencyRuns timed batch-1 runs per model when latency is measured
 * @param output the folder everything is written into
 * @param resume whether to continue the search recorded in {@code output/search.json}
 * @param keepTrialModels whether {@code output/trials/} keeps every trial's model after the search
 *     (they serve the head-to-head race and a later look; the chosen model is made again)
 */
public record OptimizeRequest(
    Path model,
    String target,
    Path calibration,
    int calibrationSamples,
    Path holdout,
    int holdoutSamples,
    String preprocess,
    List<String> classes,
    AccuracyBar bar,
    Objective objective,
    Duration budget,
    int maxTrials,
    long seed,
    int latencyRuns,
    Path output,
    boolean resume,
    boolean keepTrialModels) {

  /** The default number of trials. */
  public static final int DEFAULT_TRIALS = 24;

  /** The default budget. */
  public static final Duration DEFAULT_BUDGET = Duration.ofMinutes(30);

  /** The default number of timed runs per model and trial. */
  public static final int DEFAULT_LATENCY_RUNS = 200;

  public OptimizeRequest {
    Objects.requireNonNull(model, "model");
    Objects.requireNonNull(target, "target");
    Objects.requireNonNull(calibration, "calibration");
    Objects.requireNonNull(holdout, "holdout");
    Objects.requireNonNull(bar, "bar");
    Objects.requireNonNull(output, "output");
    preprocess = preprocess == null ? "" : preprocess;
    classes = classes == null ? List.of() : List.copyOf(classes);
    objective = objective == null ? Objective.LATENCY : objective;
    budget = budget == null ? DEFAULT_BUDGET : budget;
    if (maxTrials < 1
        || calibrationSamples < 0
        || holdoutSamples < 0
        || latencyRuns < 1
        || budget.isNegative()
        || budget.isZero()) {
      throw new IllegalArgumentException(
          "trials and latency runs must be >= 1, sample counts >= 0 and the budget"
              + " positive, found trials "
              + maxTrials
              + ", latency runs "
              + latencyRuns
              + ", samples "
              + calibrationSamples
              + "/"
              + holdoutSamples
              + ", budget "
              + budget);
    }
  }

  /**
   * Returns what a {@code keep-trials} setting says: {@code all} keeps the trials' models,
   * {@code none} removes them when the search ends.
   *
   * @throws IllegalArgumentException for any other value
   */
  public static boolean keepTrialModels(String setting) {
    return switch (setting) {
      case "all" -> true;
      case "none" -> false;
      default ->
          throw new IllegalArgumentException("expected all or none, found '" + setting + "'");
    };
  }

  /** Returns a request with the defaults for everything but the inputs, the bar and the output. */
  public static OptimizeRequest of(
      Path model,
      String target,
      Path calibration,
      Path holdout,
      String preprocess,
      AccuracyBar bar,
      Path output) {
    return new OptimizeRequest(
        model,
        target,
        calibration,
        0,
        holdout,
        0,
        preprocess,
        List.of(),
        bar,
        Objective.LATENCY,
        DEFAULT_BUDGET,
        DEFAULT_TRIALS,
        0,
        DEFAULT_LATENCY_RUNS,
        output,
        false,
        true);
  }

  /** Returns a copy that runs at most {@code n} trials. */
  public OptimizeRequest withTrials(int n) {
    return edit(e -> e.maxTrials = n);
  }

  /** Returns a copy with another budget. */
  public OptimizeRequest withBudget(Duration d) {
    return edit(e -> e.budget = d);
  }

  /** Returns a copy with another seed. */
  public OptimizeRequest withSeed(long s) {
    return edit(e -> e.seed = s);
  }

  /** Returns a copy with another objective. */
  public OptimizeRequest withObjective(Objective o) {
    return edit(e -> e.objective = o);
  }

  /** Returns a copy using at most these many calibration and holdout samples (0: all). */
  public OptimizeRequest withSamples(int calibrationN, int holdoutN) {
    return edit(
        e -> {
          e.calibrationSamples = calibrationN;
          e.holdoutSamples = holdoutN;
        });
  }

  /** Returns a copy with class names. */
  public OptimizeRequest withClasses(List<String> names) {
    return edit(e -> e.classes = names);
  }

  /** Returns a copy with another number of timed runs. */
  public OptimizeRequest withLatencyRuns(int n) {
    return edit(e -> e.latencyRuns = n);
  }

  /** Returns a copy that resumes (or not) the search recorded in the output folder. */
  public OptimizeRequest withResume(boolean r) {
    return edit(e -> e.resume = r);
  }

  /** Returns a copy that keeps (or removes) the trials' models once the search has ended. */
  public OptimizeRequest withKeepTrialModels(boolean keep) {
    return edit(e -> e.keepTrialModels = keep);
  }

  /** Returns a copy with the components {@code change} sets; the others are this request's. */
  private OptimizeRequest edit(java.util.function.Consumer<Edit> change) {
    Edit e = new Edit(this);
    change.accept(e);
    return e.build();
  }

  /** A mutable copy of the components, so that each with-method names only what it changes. */
  private static final class Edit {
    Path model;
    String target;
    Path calibration;
    int calibrationSamples;
    Path holdout;
    int holdoutSamples;
    String preprocess;
    List<String> classes;
    AccuracyBar bar;
    Objective objective;
    Duration budget;
    int maxTrials;
    long seed;
    int latencyRuns;
    Path output;
    boolean resume;
    boolean keepTrialModels;

    Edit(OptimizeRequest r) {
      model = r.model;
      target = r.target;
      calibration = r.calibration;
      calibrationSamples = r.calibrationSamples;
      holdout = r.holdout;
      holdoutSamples = r.holdoutSamples;
      preprocess = r.preprocess;
      classes = r.classes;
      bar = r.bar;
      objective = r.objective;
      budget = r.budget;
      maxTrials = r.maxTrials;
      seed = r.seed;
      latencyRuns = r.latencyRuns;
      output = r.output;
      resume = r.resume;
      keepTrialModels = r.keepTrialModels;
    }

    OptimizeRequest build() {
      return new OptimizeRequest(
          model,
          target,
          calibration,
          calibrationSamples,
          holdout,
          holdoutSamples,
          preprocess,
          classes,
          bar,
          objective,
          budget,
          maxTrials,
          seed,
          latencyRuns,
          output,
          resume,
          keepTrialModels);
    }
  }
}
