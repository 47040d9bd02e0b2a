package org.edgeopt.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.edgeopt.core.EdgeoptException;
import org.edgeopt.core.ExitCode;
import org.edgeopt.deploy.Canary;
import org.edgeopt.deploy.CanaryReport;
import org.edgeopt.deploy.CanaryReportWriter;
import org.edgeopt.deploy.CanaryThresholds;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code edgeopt canary}: decides whether a model version on a few devices is no worse than the
 * current one over the same period; exits 0 to promote, 4 to roll back.
 */
@Command(
    name = "canary",
    mixinStandardHelpOptions = true,
    description = {
      "Decide whether a canary model version is no worse than the current one over the same period:"
          + " mean confidence and failure rate by one-sided 95%% non-inferiority bounds, class mix by chi-square"
          + " homogeneity, p95 latency ratio, and labelled accuracy by a one-sided two-proportion z-test where both"
          + " sides have enough labels. Each side needs --min-samples predictions."
    },
    footerHeading = "%nExit codes:%n",
    footer = {
      "  0  promote",
      "  3  telemetry cannot be read, or too few records to decide",
      "  4  roll back"
    })
public final class CanaryCommand implements Callable<Integer>, CommonOptions.VerbosityAware {
  @CommandLine.Mixin CommonOptions common;
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Option(
      names = "--baseline-telemetry",
      required = true,
      arity = "1..*",
      paramLabel = "FILE",
      description = "Telemetry of the current version.")
  List<Path> baseline;

  @Option(
      names = "--canary-telemetry",
      required = true,
      arity = "1..*",
      paramLabel = "FILE",
      description = "Telemetry of the canary version, same period.")
  List<Path> canary;

  @Option(
      names = "--min-samples",
      paramLabel = "N",
      description = "Predictions each side needs. Default: 1000.")
  Integer minSamples;

  @Option(
      names = "--min-labelled",
      paramLabel = "N",
      description = "Labels each side needs for the accuracy check. Default: 200.")
  Integer minLabelled;

  @Option(
      names = "--confidence-margin",
      paramLabel = "P",
      description = "Non-inferiority margin of mean confidence. Default: 0.02.")
  Double confidenceMargin;

  @Option(
      names = "--max-class-mix",
      paramLabel = "TV",
      description = "Largest class-mix distance. Default: 0.1.")
  Double maxClassMix;

  @Option(
      names = "--max-latency-ratio",
      paramLabel = "X",
      description = "Largest canary p95 over the current one. Default: 1.2.")
  Double maxLatencyRatio;

  @Option(
      names = "--failure-margin",
      paramLabel = "RATE",
      description = "Non-inferiority margin of the failure rate. Default: 0.01.")
  Double failureMargin;

  @Option(
      names = "--max-accuracy-drop",
      paramLabel = "P",
      description = "Largest labelled-accuracy drop. Default: 0.03.")
  Double maxAccuracyDrop;

  @Option(
      names = "--report",
      paramLabel = "DIR",
      description = "Write report.json and junit.xml here.")
  Path report;

  @Override
  public CommonOptions common() {
    return common;
  }

  @Override
  public Integer call() throws EdgeoptException {
    CanaryThresholds d = CanaryThresholds.defaults();
    CanaryThresholds t;
    try {
      t =
          new CanaryThresholds(
              minSamples != null ? minSamples : d.minSamples(),
              minLabelled != null ? minLabelled : d.minLabelled(),
              d.confidenceLevel(),
              d.alpha(),
              confidenceMargin != null ? confidenceMargin : d.maxMeanConfidenceDrop(),
              maxClassMix != null ? maxClassMix : d.maxClassMixDistance(),
              maxLatencyRatio != null ? maxLatencyRatio : d.maxLatencyRatio(),
              failureMargin != null ? failureMargin : d.maxFailureRateRise(),
              maxAccuracyDrop != null ? maxAccuracyDrop : d.maxAccuracyDrop());
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
    }
    CanaryReport r = Canary.decide(baseline, canary, t);
    PrintWriter out = spec.commandLine().getOut();
    out.printf(
        Locale.ROOT,
        "%s  canary %d records vs baseline %d records%n",
        r.decision(),
        r.canaryRecords(),
        r.baselineRecords());
    for (CanaryReport.Check c : r.checks()) {
      out.printf(Locale.ROOT, "  %-7s %-16s %s%n", c.outcome(), c.name(), c.message());
    }
    if (report != null) {
      List<Path> files = CanaryReportWriter.write(r, report);
      out.println("  report  " + files.get(0) + " (also " + files.get(1).getFileName() + ")");
    }
    out.flush();
    return r.promote() ? ExitCode.OK.code() : ExitCode.GATE_FAILED.code();
  }
}
