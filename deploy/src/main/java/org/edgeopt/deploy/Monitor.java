package org.edgeopt.deploy;

import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;
import org.edgeopt.core.EdgeoptException;
import org.edgeopt.core.data.DataException;

/**
 * Compares field telemetry with a bundle's {@link Baseline}, per device and for the fleet, per
 * time window, and returns the {@link MonitorReport}.
 *
 * <p>Records stream through once into {@link TelemetryStatistics}; each (window, device) keeps a
 * {@link WindowStats} of fixed size, so memory grows with devices times windows, never with
 * records. The statistics merge exactly, so the edgeopt-spark module folds them per partition
 * and calls {@link #judge} with the merged whole. The checks are in
 * {@code docs/operations.md}: confidence shift (PSI and Kolmogorov-Smirnov), mean-confidence
 * drop (one-sided z-test), class-mix shift (chi-square and total variation), latency regression
 * (p95 against the baseline and against the device's peers), failure rate (Wilson lower bound)
 * and labelled accuracy (Wilson upper bound). Each alert needs both a large effect and, where a
 * test applies, significance at {@link MonitorThresholds#alpha()}: with millions of records a
 * trivial change is significant, and with few records a large one may be noise.
 */
public final class Monitor {
  /** The scope name of fleet-wide figures. */
  public static final String FLEET = "fleet";

  private Monitor() {}

  /**
   * Reads the telemetry and judges every window.
   *
   * @param model the model's name and version, for the report
   * @throws EdgeoptException (exit 3) when a telemetry file is missing or malformed
   */
  public static MonitorReport run(Baseline baseline, String model, MonitorConfig config)
      throws EdgeoptException {
    return run(
        baseline, model, config, config.telemetry().stream().map(TelemetrySource::of).toList());
  }

  /**
   * Judges the records of {@code sources} (in place of the config's telemetry files).
   *
   * @throws EdgeoptException (exit 3) when a source is malformed
   */
  public static MonitorReport run(
      Baseline baseline, String model, MonitorConfig config, List<TelemetrySource> sources)
      throws EdgeoptException {
    TelemetryStatistics stats = TelemetryStatistics.of(config, baseline.classes());
    try {
      for (TelemetrySource file : sources) {
        long[] index = {0};
        file.forEach(r -> stats.add(r, file.name(), ++index[0]));
      }
    } catch (DataException e) {
      throw EdgeoptException.invalid(e.getMessage(), e);
    }
    return judge(
        baseline,
        model,
        config.thresholds(),
        stats,
        String.join(", ", sources.stream().map(TelemetrySource::name).toList()));
  }

  /**
   * Judges every window of statistics already folded (by {@link #run}, or per partition on Spark
   * and merged).
   *
   * @param sources what the records came from, for the message when there were none
   * @throws EdgeoptException (exit 3) when no record counted
   */
  public static MonitorReport judge(
      Baseline baseline,
      String model,
      MonitorThresholds thresholds,
      TelemetryStatistics stats,
      String sources)
      throws EdgeoptException {
    if (stats.classes() != baseline.classes()) {
      throw new IllegalArgumentException(
          "statistics of " + stats.classes() + " classes for a baseline of " + baseline.classes());
    }
    long windowMs = stats.windowMs();
    int classes = baseline.classes();
    if (stats.records() == 0) {
      throw EdgeoptException.invalid(
          sources
              + ": no telemetry records"
              + (stats.skipped() > 0
                  ? " of model version "
                      + stats.modelVersion()
                      + " ("
                      + stats.skipped()
                      + " of other versions)"
                  : "")
              + ": expected at least one");
    }
    Judge judge = new Judge(baseline, thresholds);
    List<MonitorReport.WindowFigures> fleet = new ArrayList<>();
    List<MonitorReport.Alert> alerts = new ArrayList<>();
    Map<String, MonitorReport.DeviceDrift> first = new LinkedHashMap<>();
    for (Map.Entry<Long, ? extends Map<String, WindowStats>> w : stats.cells().entrySet()) {
      String start = Instant.ofEpochMilli(w.getKey() * windowMs).toString();
      WindowStats all = new WindowStats(classes);
      w.getValue().values().forEach(all::merge);
      List<MonitorReport.Alert> fleetAlerts = judge.judge(all, FLEET, start, Double.NaN);
      fleet.add(judge.figures(all, FLEET, start, fleetAlerts.size()));
      alerts.addAll(fleetAlerts);
      double peers = peerMedianP95(w.getValue(), thresholds.minSamples());
      for (String device : new TreeSet<>(w.getValue().keySet())) {
        List<MonitorReport.Alert> a = judge.judge(w.getValue().get(device), device, start, peers);
        alerts.addAll(a);
        if (!a.isEmpty() && !first.containsKey(device)) {
          first.put(
              device,
              new MonitorReport.DeviceDrift(
                  device, start, a.stream().map(MonitorReport.Alert::check).distinct().toList()));
        }
      }
    }
    return new MonitorReport(
        alerts.isEmpty() ? "OK" : "ALERT",
        model,
        stats.records(),
        stats.skipped(),
        stats.devices(),
        windowMs / 60_000L,
        thresholds,
        baseline.meanConfidence(),
        baseline.accuracy(),
        fleet,
        List.copyOf(first.values()),
        alerts,
        stats.uncertain().ranked(),
        escalation(stats.escalationLogged(), stats.escalated()));
  }

  private static MonitorReport.Escalation escalation(long logged, long escalated) {
    if (logged == 0) {
      return null;
    }
    double[] ci = DriftStatistics.wilson(escalated, logged, 0.95);
    return new MonitorReport.Escalation(
        logged, escalated, (double) escalated / logged, ci[0], ci[1]);
  }

  /** Returns the median p95 latency of the devices with enough latencies in a window, NaN under three devices. */
  private static double peerMedianP95(Map<String, WindowStats> devices, int minSamples) {
    double[] p95 =
        devices.values().stream()
            .filter(s -> s.latency().count() >= minSamples)
            .mapToDouble(s -> s.latency().percentile(95))
            .sorted()
            .toArray();
    if (p95.length < 3) {
      return Double.NaN;
    }
    return p95[(p95.length - 1) / 2];
  }

  /** Applies the thresholds to one window of one scope. */
  private static final class Judge {
    private final Baseline baseline;
    private final MonitorThresholds t;
    private final long[] confidence;
    private final long[] classes;

    Judge(Baseline baseline, MonitorThresholds thresholds) {
      this.baseline = baseline;
      this.t = thresholds;
      this.confidence = baseline.confidenceCounts();
      this.classes = baseline.classCounts();
    }

    List<MonitorReport.Alert> judge(WindowStats s, String scope, String window, double peerP95) {
      List<MonitorReport.Alert> out = new ArrayList<>();
      if (s.records() >= t.minSamples()) {
        double[] failures = DriftStatistics.wilson(s.failures(), s.records(), 0.95);
        if (failures[0] > t.maxFailureRate()) {
          out.add(
              alert(
                  window,
                  scope,
                  "failure-rate",
                  (double) s.failures() / s.records(),
                  t.maxFailureRate(),
                  "%.1f%% of inferences failed (95%% interval from %.1f%%), over the %.1f%% allowed",
                  100.0 * s.failures() / s.records(),
                  100 * failures[0],
                  100 * t.maxFailureRate()));
        }
      }
      if (s.latency().count() >= t.minSamples()) {
        double p95 = s.latency().percentile(95);
        if (baseline.latency() != null && p95 > t.maxLatencyRatio() * baseline.latency().p95Ms()) {
          out.add(
              alert(
                  window,
                  scope,
                  "latency",
                  p95,
                  t.maxLatencyRatio() * baseline.latency().p95Ms(),
                  "p95 latency %.2f ms is %.2fx the baseline's %.2f ms (limit %.2fx)",
                  p95,
                  p95 / baseline.latency().p95Ms(),
                  baseline.latency().p95Ms(),
                  t.maxLatencyRatio()));
        } else if (!Double.isNaN(peerP95) && p95 > t.maxLatencyRatio() * peerP95) {
          out.add(
              alert(
                  window,
                  scope,
                  "latency",
                  p95,
                  t.maxLatencyRatio() * peerP95,
                  "p95 latency %.2f ms is %.2fx the median device's %.2f ms (limit %.2fx)",
                  p95,
                  p95 / peerP95,
                  peerP95,
                  t.maxLatencyRatio()));
        }
      }
      if (s.predictions() < t.minSamples()) {
        return out;
      }
      long[] conf = s.confidenceHistogram();
      double psi = DriftStatistics.psi(conf, confidence);
      DriftStatistics.KsResult ks = DriftStatistics.ks(conf, confidence);
      if (psi > t.maxPsi() && ks.p() < t.alpha()) {
        out.add(
            alert(
                window,
                scope,
                "confidence-shift",
                psi,
                t.maxPsi(),
                "confidence distribution moved: PSI %.3f over %.3f, Kolmogorov-Smirnov D %.3f (p %.2g)",
                psi,
                t.maxPsi(),
                ks.d(),
                ks.p()));
      }
      double drop = baseline.meanConfidence() - s.meanConfidence();
      double se =
          Math.sqrt(
              baseline.confidenceStdDev()
                      * baseline.confidenceStdDev()
                      / Math.max(1, baseline.samples())
                  + s.confidenceVariance() / s.predictions());
      double dropP = se > 0 ? DriftStatistics.upperTail(drop / se) : (drop > 0 ? 0 : 1);
      if (drop > t.maxMeanConfidenceDrop() && dropP < t.alpha()) {
        out.add(
            alert(
                window,
                scope,
                "mean-confidence",
                drop,
                t.maxMeanConfidenceDrop(),
                "mean confidence %.3f is %.3f below the baseline's %.3f (limit %.3f, p %.2g)",
                s.meanConfidence(),
                drop,
                baseline.meanConfidence(),
                t.maxMeanConfidenceDrop(),
                dropP));
      }
      long[] mix = s.classCounts();
      double tv = DriftStatistics.totalVariation(mix, classes);
      double mixP = DriftStatistics.chiSquareFit(mix, classes);
      if (tv > t.maxClassMixDistance() && mixP < t.alpha()) {
        out.add(
            alert(
                window,
                scope,
                "class-mix",
                tv,
                t.maxClassMixDistance(),
                "predicted-class mix moved by %.3f (total variation, limit %.3f; chi-square p %.2g), most over-predicted: %s",
                tv,
                t.maxClassMixDistance(),
                mixP,
                mostOverPredicted(mix)));
      }
      if (s.labelled() >= t.minLabelled()) {
        double[] acc = DriftStatistics.wilson(s.correct(), s.labelled(), 0.95);
        double floor = baseline.accuracy() - t.maxAccuracyDrop();
        if (acc[1] < floor) {
          out.add(
              alert(
                  window,
                  scope,
                  "accuracy",
                  (double) s.correct() / s.labelled(),
                  floor,
                  "labelled accuracy %.1f%% (95%% interval %.1f%%..%.1f%%, %d labels) is below the baseline's %.1f%% minus %.1f points",
                  100.0 * s.correct() / s.labelled(),
                  100 * acc[0],
                  100 * acc[1],
                  s.labelled(),
                  100 * baseline.accuracy(),
                  100 * t.maxAccuracyDrop()));
        }
      }
      return out;
    }

    MonitorReport.WindowFigures figures(WindowStats s, String scope, String window, int alerts) {
      long[] conf = s.confidenceHistogram();
      long[] mix = s.classCounts();
      boolean any = s.predictions() > 0;
      double[] acc = DriftStatistics.wilson(s.correct(), s.labelled(), 0.95);
      return new MonitorReport.WindowFigures(
          window,
          scope,
          s.records(),
          s.records() == 0 ? Double.NaN : (double) s.failures() / s.records(),
          s.meanConfidence(),
          any ? DriftStatistics.psi(conf, confidence) : Double.NaN,
          any ? DriftStatistics.ks(conf, confidence).p() : Double.NaN,
          any ? DriftStatistics.totalVariation(mix, classes) : Double.NaN,
          any ? DriftStatistics.chiSquareFit(mix, classes) : Double.NaN,
          s.latency().percentile(50),
          s.latency().percentile(95),
          s.latency().percentile(99),
          s.labelled(),
          s.labelled() == 0 ? Double.NaN : (double) s.correct() / s.labelled(),
          s.labelled() == 0 ? Double.NaN : acc[0],
          s.labelled() == 0 ? Double.NaN : acc[1],
          alerts);
    }

    private String mostOverPredicted(long[] mix) {
      double n = Math.max(1, DriftStatistics.sum(mix));
      double nb = Math.max(1, DriftStatistics.sum(classes));
      int best = 0;
      for (int c = 1; c < mix.length; c++) {
        best = mix[c] / n - classes[c] / nb > mix[best] / n - classes[best] / nb ? c : best;
      }
      String name =
          best < baseline.classNames().size()
              ? baseline.classNames().get(best)
              : Integer.toString(best);
      return String.format(
          Locale.ROOT,
          "%s (%.1f%% vs %.1f%%)",
          name,
          100 * mix[best] / n,
          100 * classes[best] / nb);
    }

    private static MonitorReport.Alert alert(
        String window,
        String scope,
        String check,
        double value,
        double limit,
        String format,
        Object... args) {
      return new MonitorReport.Alert(
          window,
          scope,
          check,
          value,
          limit,
          (FLEET.equals(scope) ? "fleet" : "device " + scope)
              + ", window "
              + window
              + ": "
              + String.format(Locale.ROOT, format, args));
    }
  }
}
