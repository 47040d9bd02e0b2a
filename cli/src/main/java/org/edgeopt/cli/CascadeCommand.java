package org.edgeopt.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import org.edgeopt.core.EdgeoptException;
import org.edgeopt.core.ExitCode;
import org.edgeopt.core.data.Dataset;
import org.edgeopt.core.data.Datasets;
import org.edgeopt.core.data.Preprocessing;
import org.edgeopt.core.io.OverwriteGuard;
import org.edgeopt.planners.cascade.CascadeArtifacts;
import org.edgeopt.planners.cascade.CascadeConstraint;
import org.edgeopt.planners.cascade.CascadeJob;
import org.edgeopt.planners.cascade.CascadePlan;
import org.edgeopt.samples.SampleModel;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code edgeopt cascade}: the confidence threshold at which a small model hands an input to a large one. */
@Command(
    name = "cascade",
    mixinStandardHelpOptions = true,
    description = {
      "Plan a small/large model cascade: run both models on the holdout, sweep a threshold on the small model's",
      "confidence (top-1 probability, margin, entropy: the best is chosen and named), and pick the threshold",
      "that meets --min-accuracy or --max-escalation (and any --recall-floor) on exact 95% confidence bounds.",
      "Writes DIR/cascade.json and DIR/cascade.html."
    },
    footerHeading = "%nExit codes:%n",
    footer = {
      "  0  a threshold meets the constraint",
      "  2  usage error",
      "  3  invalid input (models, data)",
      "  4  no threshold meets the constraint (cascade.json says so)"
    })
public final class CascadeCommand implements Callable<Integer>, CommonOptions.VerbosityAware {
  @CommandLine.Mixin CommonOptions common;
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Option(
      names = "--small",
      required = true,
      paramLabel = "MODEL",
      description = "The small (first) model.")
  Path small;

  @Option(
      names = "--large",
      required = true,
      paramLabel = "MODEL",
      description = "The large model that gets escalated inputs.")
  Path large;

  @Option(
      names = "--holdout",
      paramLabel = "PATH",
      description = "Labelled samples (default: the large sample model's holdout).")
  Path holdout;

  @Option(
      names = "--preprocess",
      paramLabel = "SPEC",
      description = "Preprocessing, as in edgeopt validate.")
  String preprocess;

  @Option(
      names = "--classes",
      split = ",",
      paramLabel = "NAME",
      description = "Class names in label order.")
  List<String> classes;

  @Option(
      names = "--label-column",
      paramLabel = "NAME",
      description = "The label column of a CSV holdout.")
  String labelColumn;

  @Option(names = "--limit", paramLabel = "N", description = "Use at most N holdout samples.")
  Integer limit;

  @Option(
      names = "--small-cost",
      paramLabel = "TIME|measured",
      defaultValue = "measured",
      description =
          "The small model's latency per input, or 'measured' on this host (default: ${DEFAULT-VALUE}).")
  String smallCost;

  @Option(
      names = "--large-cost",
      paramLabel = "TIME|measured",
      defaultValue = "measured",
      description =
          "The large model's latency per input (e.g. 25ms for a server round trip), or 'measured'.")
  String largeCost;

  @Option(
      names = "--min-accuracy",
      paramLabel = "A",
      description = "Least cascade top-1 (0..1), on the lower confidence bound.")
  Double minAccuracy;

  @Option(
      names = "--max-escalation",
      paramLabel = "R",
      description = "Largest escalation rate (0..1), on the upper bound.")
  Double maxEscalation;

  @Option(
      names = "--recall-floor",
      paramLabel = "CLASS=R",
      description = "Least recall of a class (name or index), on the lower bound; repeatable.")
  Map<String, Double> recallFloors = new LinkedHashMap<>();

  @Option(
      names = "--confidence",
      paramLabel = "LEVEL",
      defaultValue = "0.95",
      description = "Confidence level of the bounds (default: ${DEFAULT-VALUE}).")
  double confidence;

  @Option(
      names = "--batch-size",
      paramLabel = "N",
      defaultValue = "32",
      description = "Batch size (default: ${DEFAULT-VALUE}).")
  int batchSize;

  @Option(
      names = {"-o", "--output"},
      required = true,
      paramLabel = "DIR",
      description = "Output folder.")
  Path output;

  @Override
  public CommonOptions common() {
    return common;
  }

  @Override
  public Integer call() throws EdgeoptException {
    CommandLine cl = spec.commandLine();
    if ((minAccuracy == null) == (maxEscalation == null)) {
      throw new CommandLine.ParameterException(
          cl, "give exactly one of --min-accuracy and --max-escalation");
    }
    double bound = minAccuracy != null ? minAccuracy : maxEscalation;
    if (!(bound >= 0 && bound <= 1)) {
      throw new CommandLine.ParameterException(
          cl, "--min-accuracy / --max-escalation is a fraction within 0..1, found " + bound);
    }
    if (!(confidence > 0 && confidence < 1)) {
      throw new CommandLine.ParameterException(
          cl, "--confidence must be within (0, 1), found " + confidence);
    }
    OptionBounds.batchSize(cl, "--batch-size", batchSize);
    Map<String, Path> in = new LinkedHashMap<>();
    in.put("--small", small);
    in.put("--large", large);
    in.put("--holdout", holdout);
    OverwriteGuard.refuse(
        in,
        Map.of(
            "-o's " + CascadeArtifacts.JSON_FILE,
            output.resolve(CascadeArtifacts.JSON_FILE),
            "-o's " + CascadeArtifacts.PAGE_FILE,
            output.resolve(CascadeArtifacts.PAGE_FILE)));
    Optional<SampleModel> sample = SampleDefaults.near(large);
    Path data = holdout;
    if (data == null) {
      if (sample.isEmpty()) {
        throw new CommandLine.ParameterException(
            cl, "--holdout is required: " + large + " is not a sample model");
      }
      data = SampleDefaults.holdoutData(sample.get());
    }
    String pre = preprocess != null ? preprocess : sample.map(SampleModel::preprocess).orElse(null);
    List<String> names =
        classes != null ? classes : sample.map(SampleModel::classNames).orElse(null);
    String column =
        labelColumn != null ? labelColumn : sample.map(m -> m.holdout().labelColumn()).orElse(null);
    Dataset samples =
        Datasets.open(
            data, pre == null ? Preprocessing.identity() : Preprocessing.parse(pre), names, column);
    Map<Integer, Double> floors = new LinkedHashMap<>();
    for (Map.Entry<String, Double> f : recallFloors.entrySet()) {
      floors.put(classIndex(cl, f.getKey(), names), f.getValue());
    }
    CascadeConstraint want =
        new CascadeConstraint(
            minAccuracy == null ? Double.NaN : minAccuracy,
            maxEscalation == null ? Double.NaN : maxEscalation,
            floors,
            confidence);
    CascadePlan plan =
        CascadeJob.run(
            small,
            large,
            samples,
            limit == null ? Integer.MAX_VALUE : limit,
            smallCost,
            largeCost,
            want,
            names,
            batchSize,
            output);
    PrintWriter w = cl.getOut();
    w.println(CascadeArtifacts.summary(plan));
    if (!common.quiet) {
      w.println(
          "wrote "
              + output.resolve(CascadeArtifacts.JSON_FILE)
              + " and "
              + output.resolve(CascadeArtifacts.PAGE_FILE));
    }
    w.flush();
    return plan.feasible() ? ExitCode.OK.code() : ExitCode.GATE_FAILED.code();
  }

  private static int classIndex(CommandLine cl, String key, List<String> names) {
    if (names != null && names.contains(key)) {
      return names.indexOf(key);
    }
    try {
      return Integer.parseInt(key);
    } catch (NumberFormatException e) {
      throw new CommandLine.ParameterException(
          cl, "--recall-floor: expected a class name or index, found '" + key + "'");
    }
  }
}
