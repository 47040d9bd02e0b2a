package org.edgeopt.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.edgeopt.core.EdgeoptException;
import org.edgeopt.core.ExitCode;
import org.edgeopt.core.data.Dataset;
import org.edgeopt.core.data.Datasets;
import org.edgeopt.core.data.Preprocessing;
import org.edgeopt.core.io.OverwriteGuard;
import org.edgeopt.core.targets.TargetProfile;
import org.edgeopt.core.targets.TargetProfiles;
import org.edgeopt.pipeline.Stages;
import org.edgeopt.prune.PruneMode;
import org.edgeopt.prune.PruneReport;
import org.edgeopt.prune.PruneRequest;
import org.edgeopt.prune.PruneResult;
import org.edgeopt.prune.SparsityPlanner;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code edgeopt prune}: target-aware pruning within a top-1 budget on the holdout.
 *
 * <p>The target decides the mode: 2:4 semi-structured sparsity only where it has sparse kernels
 * (TensorRT on Ampere and later); elsewhere 2:4 is refused with exit 5 unless {@code --force},
 * and {@code auto} means channel pruning, which shrinks dense shapes on every target.
 */
@Command(
    name = "prune",
    mixinStandardHelpOptions = true,
    description = {
      "Prune a model for a target within an accuracy budget measured on the holdout set:",
      "2:4 semi-structured sparsity where the target exploits it, channel pruning elsewhere.",
      "Writes OUT.onnx and OUT.prune-report.json (per-layer decisions, top-1, MACs, parameters, ORT latency)."
    })
public final class PruneCommand implements Callable<Integer>, CommonOptions.VerbosityAware {
  @CommandLine.Mixin CommonOptions common;
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Parameters(index = "0", paramLabel = "MODEL", description = "The FP32 ONNX model to prune.")
  Path model;

  @Option(
      names = {"-t", "--target"},
      required = true,
      paramLabel = "PROFILE",
      description = "Target profile name (see 'edgeopt targets') or a profile .json file.")
  String target;

  @Option(
      names = "--mode",
      paramLabel = "MODE",
      defaultValue = "auto",
      description = "auto (what the target exploits), 2:4 or channel (default: ${DEFAULT-VALUE}).")
  String mode;

  @Option(
      names = "--budget",
      paramLabel = "POINTS",
      defaultValue = "1.0",
      description =
          "Largest allowed top-1 drop on the holdout, in percentage points (default: ${DEFAULT-VALUE}).")
  double budget;

  @Option(
      names = "--holdout",
      required = true,
      paramLabel = "PATH",
      description = "Labelled holdout data (IDX folder, .npy, CSV or image folder).")
  Path holdout;

  @Option(
      names = "--calibration-data",
      paramLabel = "PATH",
      description =
          "Calibration data for bias compensation, bias correction and BatchNorm re-estimation.")
  Path calibrationData;

  @Option(
      names = "--preprocess",
      paramLabel = "SPEC",
      defaultValue = "",
      description =
          "Preprocessing, e.g. scale=0.00392156862745098,mean=0.2860,std=0.3530 (default: raw values).")
  String preprocess;

  @Option(
      names = "--label-column",
      paramLabel = "NAME",
      description = "The label column of a CSV data set (default: label).")
  String labelColumn;

  @Option(
      names = "--force",
      description =
          "Prune to 2:4 even for a target without sparse kernels (it will not run faster).")
  boolean force;

  @Option(
      names = "--search-samples",
      paramLabel = "N",
      defaultValue = "0",
      description =
          "Compare candidates on the first N holdout samples only (default: all); the result is checked on all.")
  int searchSamples;

  @Option(
      names = "--batch-size",
      paramLabel = "N",
      defaultValue = "100",
      description = "Evaluation batch size (default: ${DEFAULT-VALUE}).")
  int batchSize;

  @Option(names = "--no-latency", description = "Do not time the models in ONNX Runtime.")
  boolean noLatency;

  @Option(
      names = {"-o", "--output"},
      required = true,
      paramLabel = "OUT.onnx",
      description = "The pruned model to write.")
  Path output;

  @Override
  public CommonOptions common() {
    return common;
  }

  @Override
  public Integer call() throws EdgeoptException {
    if (!(budget >= 0) || budget > 100) {
      throw new CommandLine.ParameterException(
          spec.commandLine(), "--budget must be between 0 and 100 points, found " + budget);
    }
    OptionBounds.batchSize(spec.commandLine(), "--batch-size", batchSize);
    OptionBounds.check(
        spec.commandLine(),
        "--search-samples",
        searchSamples,
        0,
        Integer.MAX_VALUE,
        "holdout samples the search evaluates, 0 for all");
    Map<String, Path> in = new java.util.LinkedHashMap<>();
    in.put("the input model", model);
    in.put("--holdout", holdout);
    in.put("--calibration-data", calibrationData);
    OverwriteGuard.refuse(in, Map.of("-o", output, "the prune report", reportPath(output)));
    TargetProfile profile = TargetProfiles.get(target);
    PruneMode requested = PruneMode.parse(mode);
    // Refuse before reading anything: a target without sparse kernels never gets 2:4.
    SparsityPlanner.plan(profile, requested, force);
    Preprocessing pre = Preprocessing.parse(preprocess);
    Dataset hold = Datasets.open(holdout, pre, null, labelColumn);
    Dataset cal =
        calibrationData == null ? null : Datasets.open(calibrationData, pre, null, labelColumn);
    PruneRequest request =
        new PruneRequest(
            profile, requested, budget, force, hold, cal, batchSize, searchSamples, 0, !noLatency);
    PrintWriter out = spec.commandLine().getOut();
    boolean verbose = CommonOptions.verbose(spec.commandLine());
    Path report = reportPath(output);
    PruneResult result =
        Stages.prune(
            model,
            request,
            output,
            report,
            line -> {
              if (verbose) {
                out.println("  " + line);
                out.flush();
              }
            });
    PruneReport r = result.report();
    if (common.quiet) {
      out.printf(
          Locale.ROOT,
          "%s: %s, top-1 %.2f%% -> %.2f%%, MACs -%.1f%%%n",
          output,
          r.mode(),
          r.baselineTop1(),
          r.prunedTop1(),
          100 * r.macReduction());
    } else {
      out.print(r.describe());
      out.println("wrote " + output);
      out.println("wrote " + report);
    }
    out.flush();
    return ExitCode.OK.code();
  }

  /** Returns {@code OUT.prune-report.json} beside {@code OUT.onnx}. */
  static Path reportPath(Path output) {
    String name = output.getFileName().toString();
    String base = name.endsWith(".onnx") ? name.substring(0, name.length() - 5) : name;
    return output.resolveSibling(base + ".prune-report.json");
  }
}
