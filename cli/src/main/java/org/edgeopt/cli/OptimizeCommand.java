package org.edgeopt.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Callable;
import org.edgeopt.core.EdgeoptException;
import org.edgeopt.optimize.AccuracyBar;
import org.edgeopt.optimize.Budgets;
import org.edgeopt.optimize.Objective;
import org.edgeopt.optimize.OptimizeListener;
import org.edgeopt.optimize.OptimizeRequest;
import org.edgeopt.optimize.OptimizeResult;
import org.edgeopt.optimize.Optimizer;
import org.edgeopt.optimize.Trial;
import org.edgeopt.samples.DataSplit;
import org.edgeopt.samples.SampleModel;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code edgeopt optimize}: searches, by measuring real candidates, for the fastest (or smallest)
 * model for a target that stays within an accuracy bar.
 */
@Command(
    name = "optimize",
    mixinStandardHelpOptions = true,
    description = {
      "Search for the fastest (or smallest) model for a target within an accuracy bar: every calibration method,",
      "then layers returned to float (FP16 where the target runs it) in the order of the per-layer diagnosis,",
      "then channel pruning levels (and 2:4 where the target exploits it), then a seeded evolutionary search;",
      "each trial is quantized and measured on the holdout (latency interleaved with FP32 where this host runs the",
      "target's kernels, else the profile's cost model). Writes the chosen model compiled for the target,",
      "search.json (every trial; --resume continues it) and search.html (the Pareto front). See docs/optimize.md."
    },
    footerHeading = "%nExit codes:%n",
    footer = {
      "  0  a model meets the bar (re-validated after compiling)",
      "  3  invalid input (model, data or options)",
      "  4  no model meets the bar within the budget (search.html shows the closest)",
      "%nExample:%n  edgeopt optimize model.onnx --target onnxruntime-cpu --data calib/ --holdout holdout/ \\",
      "      --max-top1-drop 0.3 --budget 10m -o out/"
    })
public final class OptimizeCommand implements Callable<Integer>, CommonOptions.VerbosityAware {
  @CommandLine.Mixin CommonOptions common;
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Parameters(index = "0", paramLabel = "MODEL", description = "The FP32 ONNX model.")
  Path model;

  @Option(
      names = {"-t", "--target"},
      paramLabel = "PROFILE",
      defaultValue = "onnxruntime-cpu",
      description = "Target profile; it decides the search space (default: ${DEFAULT-VALUE}).")
  String target;

  @Option(
      names = "--data",
      paramLabel = "PATH",
      description =
          "Calibration data: IDX files, a .npy, a CSV or one image folder per class (default: a sample"
              + " model's own).")
  Path data;

  @Option(
      names = "--holdout",
      paramLabel = "PATH",
      description = "Labelled holdout every trial is measured on (default: a sample model's own).")
  Path holdout;

  @Option(
      names = "--preprocess",
      paramLabel = "SPEC",
      description = "Preprocessing of both data sets (default: the sample's, else raw).")
  String preprocess;

  @Option(
      names = "--max-top1-drop",
      required = true,
      paramLabel = "POINTS",
      description = "Largest allowed top-1 loss against FP32, in percentage points.")
  double maxTop1Drop;

  @Option(
      names = "--min-agreement",
      paramLabel = "PERCENT",
      defaultValue = "0",
      description = "Smallest allowed top-1 agreement with FP32, percent (default: no limit).")
  double minAgreement;

  @Option(
      names = "--objective",
      paramLabel = "latency|size|macs",
      defaultValue = "latency",
      description = "What to minimize among the models within the bar (default: ${DEFAULT-VALUE}).")
  String objective;

  @Option(
      names = "--budget",
      paramLabel = "TIME",
      defaultValue = "30m",
      description =
          "Wall time for the search, e.g. 90s, 10m, 1h (default: ${DEFAULT-VALUE}); counts resumed runs too.")
  String budget;

  @Option(
      names = "--trials",
      paramLabel = "N",
      defaultValue = "" + OptimizeRequest.DEFAULT_TRIALS,
      description = "The most trials (default: ${DEFAULT-VALUE}).")
  int trials;

  @Option(
      names = "--seed",
      paramLabel = "N",
      defaultValue = "0",
      description =
          "Seed of the evolutionary phase: the same seed gives the same trials (default: ${DEFAULT-VALUE}).")
  long seed;

  @Option(
      names = "--calibration-samples",
      paramLabel = "N",
      defaultValue = "0",
      description = "Calibration samples to use, 0 for all (default: ${DEFAULT-VALUE}).")
  int calibrationSamples;

  @Option(
      names = "--holdout-samples",
      paramLabel = "N",
      defaultValue = "0",
      description =
          "Holdout samples each trial is measured on, 0 for all (default: ${DEFAULT-VALUE}).")
  int holdoutSamples;

  @Option(
      names = "--latency-runs",
      paramLabel = "N",
      defaultValue = "" + OptimizeRequest.DEFAULT_LATENCY_RUNS,
      description = "Timed batch-1 runs per model and trial (default: ${DEFAULT-VALUE}).")
  int latencyRuns;

  @Option(names = "--resume", description = "Continue the search recorded in OUT/search.json.")
  boolean resume;

  @Option(
      names = "--keep-trials",
      paramLabel = "all|none",
      defaultValue = "all",
      description =
          "Keep every trial's model in OUT/trials/ (all, the default) or remove them when the"
              + " search ends (none); the chosen model is written either way.")
  String keepTrials;

  @Option(
      names = {"-o", "--output"},
      required = true,
      paramLabel = "DIR",
      description = "The output folder.")
  Path output;

  @Override
  public CommonOptions common() {
    return common;
  }

  private boolean keepTrials(CommandLine cl) {
    try {
      return OptimizeRequest.keepTrialModels(keepTrials);
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ParameterException(cl, "--keep-trials: " + e.getMessage());
    }
  }

  @Override
  public Integer call() throws EdgeoptException {
    CommandLine cl = spec.commandLine();
    OptionBounds.check(cl, "--trials", trials, 1, 100_000, "trials to run");
    OptionBounds.check(
        cl, "--latency-runs", latencyRuns, 1, OptionBounds.MAX_RUNS, "timed runs at batch 1");
    OptionBounds.check(
        cl, "--calibration-samples", calibrationSamples, 0, Integer.MAX_VALUE, "0 for all");
    OptionBounds.check(cl, "--holdout-samples", holdoutSamples, 0, Integer.MAX_VALUE, "0 for all");
    if (!(maxTop1Drop >= 0 && maxTop1Drop <= 100) || !(minAgreement >= 0 && minAgreement <= 100)) {
      throw new CommandLine.ParameterException(
          cl,
          "--max-top1-drop and --min-agreement must be 0 to 100, found "
              + maxTop1Drop
              + " and "
              + minAgreement);
    }
    Optional<SampleModel> sample = SampleDefaults.near(model);
    Path calib = data;
    Path hold = holdout;
    String pre = preprocess;
    List<String> classes = List.of();
    if (sample.isPresent()) {
      SampleModel s = sample.get();
      calib =
          calib == null
              ? (s.calibration().format() == DataSplit.Format.IDX
                  ? s.calibration().images()
                  : s.calibration().file())
              : calib;
      hold = hold == null ? SampleDefaults.holdoutData(s) : hold;
      pre = pre == null ? s.preprocess() : pre;
      classes = s.classNames();
    }
    if (calib == null || hold == null) {
      throw new CommandLine.ParameterException(
          cl,
          "--data and --holdout are required: "
              + model
              + " is not a sample model (no "
              + SampleDefaults.DESCRIPTOR
              + " beside it names it)");
    }
    OptimizeRequest request =
        new OptimizeRequest(
            model,
            target,
            calib,
            calibrationSamples,
            hold,
            holdoutSamples,
            pre,
            classes,
            new AccuracyBar(maxTop1Drop, minAgreement),
            Objective.of(objective),
            duration(cl, budget),
            trials,
            seed,
            latencyRuns,
            output,
            resume,
            keepTrials(cl));
    PrintWriter out = cl.getOut();
    OptimizeResult result =
        new Optimizer(request, common.quiet ? OptimizeListener.silent() : new Progress(out)).run();
    out.println((result.met() ? "MET: " : "NOT MET: ") + result.log().why());
    if (!result.artifacts().isEmpty()) {
      out.println(
          "wrote "
              + String.join(
                  ", ", result.artifacts().stream().map(p -> p.getFileName().toString()).toList())
              + " to "
              + output);
    }
    out.flush();
    return result.exitCode();
  }

  /** Parses {@code --budget}; a malformed one is a usage error. */
  static Duration duration(CommandLine cl, String text) {
    try {
      return Budgets.parse(text);
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ParameterException(cl, "--budget: " + e.getMessage());
    }
  }

  /** One line per trial: what it was, what it scored, the best so far and the time left. */
  private static final class Progress implements OptimizeListener {
    private final PrintWriter out;

    Progress(PrintWriter out) {
      this.out = out;
    }

    @Override
    public void step(String message) {
      out.println("optimize: " + message);
      out.flush();
    }

    @Override
    public void trialFinished(Trial t, Trial best, int done, int max, Duration left) {
      out.printf(
          Locale.ROOT,
          "trial %d/%d [%s] %s: drop %.2f, agreement %.2f%%, %.2fx%s, %.1fs %s | best #%d %.2fx%s"
              + " | %dm%02ds left%n",
          done,
          max,
          t.phase(),
          t.config().label(),
          t.top1Drop(),
          t.agreement(),
          t.speedup(),
          t.latencyMeasured() ? "" : " (modelled)",
          t.seconds(),
          t.meetsBar() ? "OK" : "miss",
          best.index(),
          best.speedup(),
          best.meetsBar() ? "" : " (misses)",
          left.toMinutes(),
          left.toSecondsPart());
      out.flush();
    }
  }
}
