package org.edgeopt.cli;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import org.edgeopt.core.EdgeoptException;
import org.edgeopt.deploy.Monitor;
import org.edgeopt.deploy.MonitorConfig;
import org.edgeopt.deploy.MonitorReport;
import org.edgeopt.deploy.MonitorSummary;
import org.edgeopt.deploy.MonitorThresholds;
import org.edgeopt.deploy.OpenedBundle;
import org.edgeopt.deploy.SigningKeys;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code edgeopt monitor}: compares field telemetry with a bundle's holdout baseline, per device
 * and for the fleet, per time window; exits 4 when an alert fires.
 */
@Command(
    name = "monitor",
    mixinStandardHelpOptions = true,
    description = {
      "Compare field telemetry (JSON Lines or CSV, see docs/operations.md) with the baseline in a deployment"
          + " bundle, per device and for the fleet, per time window: confidence shift (PSI and Kolmogorov-Smirnov),"
          + " mean-confidence drop, class-mix shift (chi-square), latency regression, failure rate, and labelled accuracy"
          + " (Wilson interval). Ranks the most uncertain samples for labelling.",
      "Streams the files once in bounded memory (grows with devices x windows, not with records).",
      "With --engine spark the same analysis runs on Apache Spark over Parquet, JSON Lines or CSV telemetry"
          + " (docs/scale-out.md), with the same report."
    },
    footerHeading = "%nExit codes:%n",
    footer = {
      "  0  no alert",
      "  3  the bundle or telemetry cannot be read",
      "  4  an alert fired"
    })
public final class MonitorCommand implements Callable<Integer>, CommonOptions.VerbosityAware {
  @CommandLine.Mixin CommonOptions common;
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Option(
      names = "--bundle",
      required = true,
      paramLabel = "BUNDLE",
      description = "The deployment bundle the devices run.")
  Path bundle;

  @Option(
      names = "--key",
      paramLabel = "PUBLIC_PEM",
      description = "Verify the bundle with this public key first.")
  Path key;

  @Option(
      names = "--telemetry",
      required = true,
      arity = "1..*",
      paramLabel = "FILE",
      description =
          "Telemetry files (.jsonl, .ndjson, .csv, optionally .gz); with --engine spark also Parquet files or"
              + " folders, and Hadoop filesystem URIs.")
  List<Path> telemetry;

  @Option(
      names = "--window-minutes",
      paramLabel = "MIN",
      defaultValue = "60",
      description = "Window length. Default: ${DEFAULT-VALUE}.")
  long windowMinutes;

  @Option(
      names = "--model-version",
      paramLabel = "VERSION",
      description = "Only records of this model version count.")
  String modelVersion;

  @Option(
      names = "--thresholds",
      paramLabel = "FILE",
      description =
          "A YAML or JSON file of thresholds (minSamples, alpha, maxPsi, maxMeanConfidenceDrop, maxClassMixDistance,"
              + " maxLatencyRatio, maxFailureRate, maxAccuracyDrop, minLabelled); the options below override it.")
  Path thresholds;

  @Option(
      names = "--min-samples",
      paramLabel = "N",
      description = "Judge a window only with this many predictions. Default: 200.")
  Integer minSamples;

  @Option(
      names = "--alpha",
      paramLabel = "P",
      description = "Significance every test must reach. Default: 0.001.")
  Double alpha;

  @Option(
      names = "--max-psi",
      paramLabel = "PSI",
      description = "Largest confidence PSI. Default: 0.2.")
  Double maxPsi;

  @Option(
      names = "--max-confidence-drop",
      paramLabel = "P",
      description = "Largest mean-confidence drop. Default: 0.05.")
  Double maxConfidenceDrop;

  @Option(
      names = "--max-class-mix",
      paramLabel = "TV",
      description = "Largest class-mix total variation distance. Default: 0.1.")
  Double maxClassMix;

  @Option(
      names = "--max-latency-ratio",
      paramLabel = "X",
      description = "Largest p95 latency over the reference. Default: 1.5.")
  Double maxLatencyRatio;

  @Option(
      names = "--max-failure-rate",
      paramLabel = "RATE",
      description = "Largest failure rate. Default: 0.02.")
  Double maxFailureRate;

  @Option(
      names = "--max-accuracy-drop",
      paramLabel = "P",
      description = "Largest labelled-accuracy drop. Default: 0.05.")
  Double maxAccuracyDrop;

  @Option(
      names = "--min-labelled",
      paramLabel = "N",
      description = "Judge accuracy only with this many labels. Default: 30.")
  Integer minLabelled;

  @Option(
      names = "--top-uncertain",
      paramLabel = "K",
      defaultValue = "50",
      description = "How many uncertain samples to rank for labelling. Default: ${DEFAULT-VALUE}.")
  int topUncertain;

  @Option(
      names = "--report",
      paramLabel = "DIR",
      description = "Write report.json, report.html and junit.xml here.")
  Path report;

  @Option(
      names = "--engine",
      paramLabel = "ENGINE",
      defaultValue = "local",
      description =
          "local (this JVM, the default) or spark: hand over to edgeopt-spark.jar (spark-submit, or Spark's jars"
              + " beside it), which also reads Parquet telemetry and takes --format and --partitions; same report.")
  String engine;

  @Option(
      names = "--master",
      paramLabel = "URL",
      description =
          "With --engine spark: local[*], spark://host:7077, yarn, k8s://... (default: local[*]).")
  String master;

  /** Options only the Spark engine knows, passed through to it unread. */
  @CommandLine.Unmatched List<String> engineOptions = new java.util.ArrayList<>();

  @Override
  public CommonOptions common() {
    return common;
  }

  @Override
  public Integer call() throws EdgeoptException {
    if (engine.equalsIgnoreCase("spark")) {
      return SparkEngine.handOver(
          "monitor", spec.commandLine().getParseResult().originalArgs(), master);
    }
    if (!engine.equalsIgnoreCase("local")) {
      throw new CommandLine.ParameterException(
          spec.commandLine(), "--engine: expected local or spark, found '" + engine + "'");
    }
    // --telemetry takes any number of values, so an option it does not know lands among them.
    telemetry.stream()
        .filter(t -> t.toString().startsWith("--"))
        .findFirst()
        .ifPresent(t -> engineOptions.add(0, t.toString()));
    if (!engineOptions.isEmpty() || master != null) {
      throw new CommandLine.ParameterException(
          spec.commandLine(),
          "unknown option(s) "
              + (master != null ? List.of("--master") : engineOptions)
              + ": expected them only with --engine spark");
    }
    MonitorThresholds d =
        thresholds != null ? MonitorThresholds.read(thresholds) : MonitorThresholds.defaults();
    MonitorConfig config;
    try {
      MonitorThresholds t =
          new MonitorThresholds(
              or(minSamples, d.minSamples()),
              or(alpha, d.alpha()),
              or(maxPsi, d.maxPsi()),
              or(maxConfidenceDrop, d.maxMeanConfidenceDrop()),
              or(maxClassMix, d.maxClassMixDistance()),
              or(maxLatencyRatio, d.maxLatencyRatio()),
              or(maxFailureRate, d.maxFailureRate()),
              or(maxAccuracyDrop, d.maxAccuracyDrop()),
              or(minLabelled, d.minLabelled()));
      config = new MonitorConfig(telemetry, windowMinutes, t, topUncertain, modelVersion);
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
    }
    OpenedBundle b = OpenedBundle.open(bundle, key == null ? null : SigningKeys.readPublic(key));
    MonitorReport r = Monitor.run(b.baseline(), b.model(), config);
    return MonitorSummary.finish(spec.commandLine().getOut(), r, b.manifest().cascade(), report);
  }

  private static <T> T or(T value, T fallback) {
    return value != null ? value : fallback;
  }
}
