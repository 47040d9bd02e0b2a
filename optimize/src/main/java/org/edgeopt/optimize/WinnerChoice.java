package org.edgeopt.optimize;

import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * Chooses the result of a search: among the trials that meet the bar, the one with the lowest
 * cost under the objective (measured latency where it was measured); with none, the closest miss.
 */
final class WinnerChoice {
  private WinnerChoice() {}

  /** Returns the best trial that meets the bar, if any. */
  static Optional<Trial> best(List<Trial> trials, Objective objective) {
    return trials.stream().filter(Trial::meetsBar).min(byCost(objective));
  }

  /** Returns the trial that misses the bar by the least, ties broken by cost. */
  static Optional<Trial> closest(List<Trial> trials, AccuracyBar bar, Objective objective) {
    return trials.stream().min(Comparator.comparingDouble((Trial t) -> bar.shortfall(t.top1Drop(), t.agreement()))
        .thenComparing(byCost(objective)));
  }

  /** Returns the winner, else the closest miss, else nothing. */
  static Optional<Trial> choose(List<Trial> trials, AccuracyBar bar, Objective objective) {
    Optional<Trial> best = best(trials, objective);
    return best.isPresent() ? best : closest(trials, bar, objective);
  }

  private static Comparator<Trial> byCost(Objective objective) {
    return Comparator.comparingDouble((Trial t) -> t.cost(objective, true)).thenComparingDouble(Trial::top1Drop)
        .thenComparingInt(Trial::index);
  }

  /** Returns one line on why {@code winner} won, against the plain methods and the runner-up. */
  static String why(List<Trial> trials, Trial winner, AccuracyBar bar, Objective objective) {
    if (winner == null) {
      return "no trial ran";
    }
    if (!winner.meetsBar()) {
      return String.format(Locale.ROOT, "no trial meets the bar (top-1 drop <= %.2f points%s); the closest is #%d %s:"
          + " drop %.2f points, agreement %.2f%%", bar.maxTop1Drop(),
          bar.minAgreement() > 0 ? String.format(Locale.ROOT, ", agreement >= %.2f%%", bar.minAgreement()) : "",
          winner.index(), winner.config().label(), winner.top1Drop(), winner.agreement());
    }
    long meeting = trials.stream().filter(Trial::meetsBar).count();
    String figure = figure(winner, objective);
    StringBuilder sb = new StringBuilder(String.format(Locale.ROOT,
        "#%d %s has the best %s (%s) of the %d trials within the bar (drop %.2f <= %.2f points)", winner.index(),
        winner.config().label(), objective.id(), figure, meeting, winner.top1Drop(), bar.maxTop1Drop()));
    trials.stream().filter(t -> t.meetsBar() && t != winner).min(byCost(objective))
        .ifPresent(r -> sb.append(String.format(Locale.ROOT, "; runner-up #%d %s: %s", r.index(), r.config().label(),
            figure(r, objective))));
    trials.stream().filter(t -> t.phase().equals("plain") && t.meetsBar()).min(byCost(objective))
        .ifPresent(p -> sb.append(String.format(Locale.ROOT, "; best plain method %s: %s", p.config().label(),
            figure(p, objective))));
    return sb.toString();
  }

  /** Returns a trial's figure under an objective, e.g. {@code 1.52x FP32 speed (measured)}. */
  static String figure(Trial t, Objective objective) {
    return switch (objective) {
      case LATENCY -> String.format(Locale.ROOT, "%.2fx FP32 speed (%s)", t.speedup(),
          t.latencyMeasured() ? "measured" : "modelled");
      case SIZE -> String.format(Locale.ROOT, "%,d bytes", t.sizeBytes());
      case MACS -> String.format(Locale.ROOT, "%,d MACs", t.macs());
    };
  }
}
