package org.edgeopt.optimize;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Chooses the result of a search: among the trials that meet the bar, the one with the lowest
 * cost under the objective (measured latency where it was measured, speeds within
 * {@link #SAME_SPEED} counting as equal); with none, the closest miss.
 *
 * <p>Measured latency is pooled by graph structure ({@link TrialConfig#structureKey()}): trials
 * that differ only in their scales run the same kernels, so the median of their measurements is
 * a better estimate than any one of them, and timing noise cannot pick between two calibration
 * methods; the smaller top-1 drop does.
 */
final class WinnerChoice {
  private WinnerChoice() {}

  /**
   * Measured speed-ups within this fraction of each other count as one speed: the head-to-head
   * race's margin, what timing noise on these machines can make of two equal models.
   */
  static final double SAME_SPEED = LatencyRace.MARGIN;

  /**
   * Returns the best trial that meets the bar, if any. Under measured latency, every trial within
   * {@link #SAME_SPEED} of the fastest structure is as fast, and the smallest top-1 drop (then the
   * highest agreement) among them wins: a 0.2% timing difference must not choose a less accurate
   * model (on SqueezeNet it chose a float-layer trial with drop 0.25 over plain INT8 at -0.25).
   */
  static Optional<Trial> best(List<Trial> trials, Objective objective) {
    Optional<Trial> fastest =
        trials.stream().filter(Trial::meetsBar).min(byCost(trials, objective));
    if (fastest.isEmpty() || objective != Objective.LATENCY || !fastest.get().latencyMeasured()) {
      return fastest;
    }
    Map<String, Double> pooled = pooledSpeedups(trials);
    double top = pooled.get(fastest.get().config().structureKey());
    return trials.stream()
        .filter(t -> t.meetsBar() && t.latencyMeasured())
        .filter(t -> pooled.get(t.config().structureKey()) * (1 + SAME_SPEED) >= top)
        .min(
            Comparator.comparingDouble(Trial::top1Drop)
                .thenComparingDouble(t -> -t.agreement())
                .thenComparing(byCost(trials, objective)));
  }

  /** Returns the trial that misses the bar by the least, ties broken by cost. */
  static Optional<Trial> closest(List<Trial> trials, AccuracyBar bar, Objective objective) {
    return trials.stream()
        .min(
            Comparator.comparingDouble((Trial t) -> bar.shortfall(t.top1Drop(), t.agreement()))
                .thenComparing(byCost(trials, objective)));
  }

  /** Returns the winner, else the closest miss, else nothing. */
  static Optional<Trial> choose(List<Trial> trials, AccuracyBar bar, Objective objective) {
    Optional<Trial> best = best(trials, objective);
    return best.isPresent() ? best : closest(trials, bar, objective);
  }

  private static Comparator<Trial> byCost(List<Trial> trials, Objective objective) {
    Map<String, Double> pooled = pooledSpeedups(trials);
    return Comparator.comparingDouble(
            (Trial t) ->
                objective == Objective.LATENCY && t.latencyMeasured()
                    ? 1.0 / Math.max(1e-9, pooled.get(t.config().structureKey()))
                    : t.cost(objective, true))
        .thenComparingDouble(Trial::top1Drop)
        .thenComparingInt(Trial::index);
  }

  /** Returns the median measured speed-up of each graph structure. */
  static Map<String, Double> pooledSpeedups(List<Trial> trials) {
    Map<String, List<Double>> by = new HashMap<>();
    trials.forEach(
        t ->
            by.computeIfAbsent(t.config().structureKey(), k -> new ArrayList<>()).add(t.speedup()));
    Map<String, Double> median = new HashMap<>();
    by.forEach(
        (k, v) -> {
          double[] a = v.stream().mapToDouble(Double::doubleValue).sorted().toArray();
          median.put(
              k, a.length % 2 == 1 ? a[a.length / 2] : (a[a.length / 2 - 1] + a[a.length / 2]) / 2);
        });
    return median;
  }

  /** Returns one line on why {@code winner} won, against the plain methods and the runner-up. */
  static String why(List<Trial> trials, Trial winner, AccuracyBar bar, Objective objective) {
    if (winner == null) {
      return "no trial ran";
    }
    if (!winner.meetsBar()) {
      return String.format(
          Locale.ROOT,
          "no trial meets the bar (top-1 drop <= %.2f points%s); the closest is #%d %s:"
              + " drop %.2f points, agreement %.2f%%",
          bar.maxTop1Drop(),
          bar.minAgreement() > 0
              ? String.format(Locale.ROOT, ", agreement >= %.2f%%", bar.minAgreement())
              : "",
          winner.index(),
          winner.config().label(),
          winner.top1Drop(),
          winner.agreement());
    }
    long meeting = trials.stream().filter(Trial::meetsBar).count();
    String figure = figure(trials, winner, objective);
    StringBuilder sb =
        new StringBuilder(
            String.format(
                Locale.ROOT,
                "#%d %s has the best %s (%s) of the %d trials within the bar (drop %.2f <= %.2f points)",
                winner.index(),
                winner.config().label(),
                objective.id(),
                figure,
                meeting,
                winner.top1Drop(),
                bar.maxTop1Drop()));
    if (objective == Objective.LATENCY && winner.latencyMeasured()) {
      Map<String, Double> pooled = pooledSpeedups(trials);
      trials.stream()
          .filter(t -> t.meetsBar() && t.latencyMeasured())
          .filter(
              t ->
                  pooled.get(t.config().structureKey())
                      > pooled.get(winner.config().structureKey()))
          .min(byCost(trials, objective))
          .ifPresent(
              f ->
                  sb.append(
                      String.format(
                          Locale.ROOT,
                          "; #%d %s measured %s, within %.0f%% (timing noise), less accurate:"
                              + " drop %.2f points, agreement %.2f%%",
                          f.index(),
                          f.config().label(),
                          figure(trials, f, objective),
                          SAME_SPEED * 100,
                          f.top1Drop(),
                          f.agreement())));
    }
    trials.stream()
        .filter(
            t -> t.meetsBar() && !t.config().structureKey().equals(winner.config().structureKey()))
        .min(byCost(trials, objective))
        .ifPresent(
            r ->
                sb.append(
                    String.format(
                        Locale.ROOT,
                        "; runner-up #%d %s: %s",
                        r.index(),
                        r.config().label(),
                        figure(trials, r, objective))));
    trials.stream()
        .filter(t -> t.phase().equals("plain") && t.meetsBar())
        .min(byCost(trials, objective))
        .ifPresent(
            p ->
                sb.append(
                    String.format(
                        Locale.ROOT,
                        "; best plain method %s: %s",
                        p.config().label(),
                        figure(trials, p, objective))));
    return sb.toString();
  }

  /** Returns a trial's figure under an objective, e.g. {@code 1.52x FP32 speed (measured, median of 3)}. */
  static String figure(List<Trial> trials, Trial t, Objective objective) {
    long n =
        trials.stream()
            .filter(o -> o.config().structureKey().equals(t.config().structureKey()))
            .count();
    return switch (objective) {
      case LATENCY ->
          t.latencyMeasured()
              ? String.format(
                  Locale.ROOT,
                  "%.2fx FP32 speed (measured%s)",
                  pooledSpeedups(trials).get(t.config().structureKey()),
                  n > 1 ? ", median of the " + n + " trials with this graph structure" : "")
              : String.format(Locale.ROOT, "%.2fx FP32 speed (modelled)", t.speedup());
      case SIZE -> String.format(Locale.ROOT, "%,d bytes", t.sizeBytes());
      case MACS -> String.format(Locale.ROOT, "%,d MACs", t.macs());
    };
  }
}
