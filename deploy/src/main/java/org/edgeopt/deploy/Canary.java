package org.edgeopt.deploy;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.edgeopt.core.EdgeoptException;
import org.edgeopt.core.data.DataException;

/**
 * Decides whether a model version rolled out to a few devices is no worse than the current one
 * over the same period.
 *
 * <p>Mean confidence and failure rate are non-inferiority tests: the one-sided upper bound of
 * the canary's loss must stay within its margin, so a promotion is earned by evidence, not by
 * the absence of it; that is why both sides need {@link CanaryThresholds#minSamples()}
 * predictions. The class mix is a chi-square test of homogeneity and needs a large distance too;
 * latency compares p95s; labelled accuracy, where both sides have enough labels, is a one-sided
 * two-proportion z-test beyond its margin (labels are scarce, so it can only catch a clear loss).
 */
public final class Canary {
  /** The most classes a telemetry file may name. */
  static final int MAX_CLASSES = 4096;

  private Canary() {}

  /**
   * Reads both sides' telemetry and decides.
   *
   * @throws EdgeoptException (exit 3) for malformed telemetry or too few records to decide
   */
  public static CanaryReport decide(List<Path> baseline, List<Path> canary, CanaryThresholds t)
      throws EdgeoptException {
    WindowStats a = read(baseline);
    WindowStats b = read(canary);
    for (Object[] side : new Object[][] {{"baseline", a, baseline}, {"canary", b, canary}}) {
      WindowStats s = (WindowStats) side[1];
      if (s.predictions() < t.minSamples()) {
        throw EdgeoptException.invalid(
            side[2]
                + ": "
                + s.predictions()
                + " "
                + side[0]
                + " predictions: expected at least "
                + t.minSamples()
                + " to decide (--min-samples)");
      }
    }
    double z = DriftStatistics.z(t.confidenceLevel());
    List<CanaryReport.Check> checks = new ArrayList<>();

    double drop = a.meanConfidence() - b.meanConfidence();
    double se =
        Math.sqrt(
            a.confidenceVariance() / a.predictions() + b.confidenceVariance() / b.predictions());
    double upper = drop + z * se;
    checks.add(
        check(
            "mean-confidence",
            "non-inferiority, one-sided normal bound on the mean drop",
            a.meanConfidence(),
            b.meanConfidence(),
            upper,
            t.maxMeanConfidenceDrop(),
            upper <= t.maxMeanConfidenceDrop(),
            "mean confidence drop %.4f, upper %.0f%% bound %.4f, margin %.4f",
            drop,
            100 * t.confidenceLevel(),
            upper,
            t.maxMeanConfidenceDrop()));

    long[] ma = trim(a.classCounts(), b.classCounts());
    long[] mb = trim(b.classCounts(), a.classCounts());
    double tv = DriftStatistics.totalVariation(mb, ma);
    double p = DriftStatistics.chiSquareHomogeneity(ma, mb);
    boolean mixMoved = tv > t.maxClassMixDistance() && p < t.alpha();
    checks.add(
        check(
            "class-mix",
            "chi-square homogeneity and total variation distance",
            0,
            tv,
            tv,
            t.maxClassMixDistance(),
            !mixMoved,
            "class mixes differ by %.3f (total variation, limit %.3f), chi-square p %.2g",
            tv,
            t.maxClassMixDistance(),
            p));

    double ra = (double) a.failures() / a.records();
    double rb = (double) b.failures() / b.records();
    double fse = Math.sqrt(ra * (1 - ra) / a.records() + rb * (1 - rb) / b.records());
    double fUpper = rb - ra + z * Math.max(fse, 1.0 / Math.max(a.records(), b.records()));
    checks.add(
        check(
            "failure-rate",
            "non-inferiority, one-sided normal bound on the rate rise",
            ra,
            rb,
            fUpper,
            t.maxFailureRateRise(),
            fUpper <= t.maxFailureRateRise(),
            "failure rate %.3f%% vs %.3f%%, upper bound of the rise %.3f points, margin %.3f",
            100 * rb,
            100 * ra,
            100 * fUpper,
            100 * t.maxFailureRateRise()));

    if (a.latency().count() >= t.minSamples() && b.latency().count() >= t.minSamples()) {
      double pa = a.latency().percentile(95);
      double pb = b.latency().percentile(95);
      checks.add(
          check(
              "latency",
              "p95 ratio from log-binned histograms",
              pa,
              pb,
              pb / pa,
              t.maxLatencyRatio(),
              pb <= t.maxLatencyRatio() * pa,
              "p95 %.2f ms vs %.2f ms: %.2fx (limit %.2fx)",
              pb,
              pa,
              pb / pa,
              t.maxLatencyRatio()));
    } else {
      checks.add(
          skipped("latency", "too few latencies logged (need " + t.minSamples() + " each side)"));
    }

    if (a.labelled() >= t.minLabelled() && b.labelled() >= t.minLabelled()) {
      double accA = (double) a.correct() / a.labelled();
      double accB = (double) b.correct() / b.labelled();
      double pooled = (double) (a.correct() + b.correct()) / (a.labelled() + b.labelled());
      double ase = Math.sqrt(pooled * (1 - pooled) * (1.0 / a.labelled() + 1.0 / b.labelled()));
      double accP =
          ase > 0 ? DriftStatistics.upperTail((accA - accB) / ase) : (accA > accB ? 0 : 1);
      boolean worse = accA - accB > t.maxAccuracyDrop() && accP < t.alpha();
      checks.add(
          check(
              "accuracy",
              "one-sided two-proportion z-test beyond the margin",
              accA,
              accB,
              accA - accB,
              t.maxAccuracyDrop(),
              !worse,
              "labelled accuracy %.2f%% vs %.2f%% (%d and %d labels), drop %.2f points, p %.2g",
              100 * accB,
              100 * accA,
              b.labelled(),
              a.labelled(),
              100 * (accA - accB),
              accP));
    } else {
      checks.add(
          skipped(
              "accuracy",
              "too few labels (need "
                  + t.minLabelled()
                  + " each side, found "
                  + a.labelled()
                  + " and "
                  + b.labelled()
                  + ")"));
    }
    boolean ok = checks.stream().noneMatch(c -> c.outcome().equals("fail"));
    return new CanaryReport(ok ? "PROMOTE" : "ROLLBACK", a.records(), b.records(), t, checks);
  }

  private static WindowStats read(List<Path> files) throws EdgeoptException {
    WindowStats s = new WindowStats(MAX_CLASSES);
    try {
      for (Path f : files) {
        long[] n = {0};
        TelemetryReader.read(
            f,
            r -> {
              n[0]++;
              if (!r.failed()
                  && (r.predicted() < 0
                      || r.predicted() >= MAX_CLASSES
                      || r.label() >= MAX_CLASSES)) {
                throw new DataException(
                    f
                        + ": record "
                        + n[0]
                        + ": class "
                        + Math.max(r.predicted(), r.label())
                        + ": expected 0.."
                        + (MAX_CLASSES - 1));
              }
              s.add(r);
            });
      }
    } catch (DataException e) {
      throw EdgeoptException.invalid(e.getMessage(), e);
    }
    return s;
  }

  /** Returns {@code v} cut after the last class either side predicted. */
  private static long[] trim(long[] v, long[] other) {
    int n = 0;
    for (int i = 0; i < v.length; i++) {
      if (v[i] > 0 || other[i] > 0) {
        n = i + 1;
      }
    }
    return Arrays.copyOf(v, n);
  }

  private static CanaryReport.Check check(
      String name,
      String test,
      double baseline,
      double canary,
      double statistic,
      double limit,
      boolean passed,
      String format,
      Object... args) {
    return new CanaryReport.Check(
        name,
        test,
        baseline,
        canary,
        statistic,
        limit,
        passed ? "pass" : "fail",
        String.format(Locale.ROOT, format, args));
  }

  private static CanaryReport.Check skipped(String name, String why) {
    return new CanaryReport.Check(
        name, "", Double.NaN, Double.NaN, Double.NaN, Double.NaN, "skipped", why);
  }
}
