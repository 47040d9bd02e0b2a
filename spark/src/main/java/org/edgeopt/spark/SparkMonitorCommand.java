package org.edgeopt.spark;

import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.apache.spark.sql.SparkSession;
import org.edgeopt.core.EdgeoptException;
import org.edgeopt.deploy.MonitorReport;
import org.edgeopt.deploy.MonitorSummary;
import org.edgeopt.deploy.MonitorThresholds;
import org.edgeopt.deploy.OpenedBundle;
import org.edgeopt.deploy.SigningKeys;
import org.edgeopt.deploy.TelemetryStatistics;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code monitor} on Spark: the flags of {@code edgeopt monitor}, plus where the cluster is, the
 * telemetry's format and how many partitions to cut it into; writes the same report.json,
 * report.html and junit.xml.
 */
@Command(
    name = "monitor",
    mixinStandardHelpOptions = true,
    description =
        "Compare field telemetry with a bundle's baseline on Spark: executors fold the per-device, per-window"
            + " statistics of their partitions, the driver merges them (exactly: the one-machine report) and judges"
            + " every window.",
    exitCodeListHeading = "%nExit codes:%n",
    exitCodeList = {
      "0:no alert",
      "1:internal error",
      "2:usage error",
      "3:the bundle or telemetry cannot be read",
      "4:an alert fired"
    },
    footerHeading = "%nExample:%n",
    footer = {
      "  edgeopt monitor --bundle model.bundle.zip --telemetry hdfs:///fleet/2026-12/ \\",
      "      --engine spark --master yarn --report out/"
    })
final class SparkMonitorCommand implements Callable<Integer> {
  @Option(
      names = "--bundle",
      required = true,
      paramLabel = "BUNDLE",
      description = "The deployment bundle.")
  Path bundle;

  @Option(names = "--key", paramLabel = "PUBLIC_PEM", description = "Verify the bundle first.")
  Path key;

  @Option(
      names = "--telemetry",
      required = true,
      arity = "1..*",
      paramLabel = "PATH",
      description =
          "Parquet files or folders, JSON Lines or CSV files (optionally .gz), local or any Hadoop filesystem URI.")
  List<String> telemetry;

  @Option(
      names = "--format",
      paramLabel = "FORMAT",
      defaultValue = "auto",
      description =
          "auto (by name: .jsonl/.ndjson/.json, .csv, else Parquet), parquet, jsonl or csv.")
  String format;

  @Option(names = "--window-minutes", paramLabel = "MIN", defaultValue = "60")
  long windowMinutes;

  @Option(names = "--model-version", paramLabel = "VERSION")
  String modelVersion;

  @Option(
      names = "--thresholds",
      paramLabel = "FILE",
      description = "A YAML or JSON thresholds file.")
  Path thresholds;

  @Option(names = "--min-samples", paramLabel = "N")
  Integer minSamples;

  @Option(names = "--alpha", paramLabel = "P")
  Double alpha;

  @Option(names = "--max-psi", paramLabel = "PSI")
  Double maxPsi;

  @Option(names = "--max-confidence-drop", paramLabel = "P")
  Double maxConfidenceDrop;

  @Option(names = "--max-class-mix", paramLabel = "TV")
  Double maxClassMix;

  @Option(names = "--max-latency-ratio", paramLabel = "X")
  Double maxLatencyRatio;

  @Option(names = "--max-failure-rate", paramLabel = "RATE")
  Double maxFailureRate;

  @Option(names = "--max-accuracy-drop", paramLabel = "P")
  Double maxAccuracyDrop;

  @Option(names = "--min-labelled", paramLabel = "N")
  Integer minLabelled;

  @Option(names = "--top-uncertain", paramLabel = "K", defaultValue = "50")
  int topUncertain;

  @Option(
      names = "--report",
      paramLabel = "DIR",
      description = "Write report.json, report.html and junit.xml here (on the driver).")
  Path report;

  @Option(
      names = "--partitions",
      paramLabel = "N",
      defaultValue = "0",
      description = "Partitions to cut the records into (default: the files' own splits).")
  int partitions;

  @CommandLine.Mixin SparkEngineOptions engine;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() throws EdgeoptException {
    CommandLine cl = spec.commandLine();
    SparkMonitor.Format f;
    try {
      f =
          format.equalsIgnoreCase("auto")
              ? null
              : SparkMonitor.Format.valueOf(format.strip().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ParameterException(
          cl, "--format: expected auto, parquet, jsonl or csv, found '" + format + "'");
    }
    if (partitions < 0 || windowMinutes < 1 || topUncertain < 0) {
      throw new CommandLine.ParameterException(
          cl, "--partitions and --top-uncertain must be at least 0, --window-minutes at least 1");
    }
    MonitorThresholds d =
        thresholds != null ? MonitorThresholds.read(thresholds) : MonitorThresholds.defaults();
    MonitorThresholds t;
    try {
      t =
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
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ParameterException(cl, e.getMessage());
    }
    OpenedBundle b = OpenedBundle.open(bundle, key == null ? null : SigningKeys.readPublic(key));
    SparkSession spark = engine.session("edgeopt monitor " + b.model());
    MonitorReport r;
    try {
      r =
          SparkMonitor.run(
              spark,
              b.baseline(),
              b.model(),
              t,
              telemetry,
              f,
              partitions,
              new TelemetryStatistics(
                  b.baseline().classes(), windowMinutes, modelVersion, topUncertain));
    } finally {
      spark.stop();
    }
    return MonitorSummary.finish(cl.getOut(), r, b.manifest().cascade(), report);
  }

  private static <T> T or(T value, T fallback) {
    return value != null ? value : fallback;
  }
}
