package org.edgeopt.optimize;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;
import org.edgeopt.core.EdgeoptException;
import org.edgeopt.validate.ValidationReport;

/**
 * Settles the winner by timing the fastest contenders head to head, after the search: each trial
 * was timed once against FP32, and one timing of a sub-millisecond model on a busy machine can be
 * off by more than the difference between two graph structures.
 *
 * <p>Each challenger is timed against the leader interleaved, in both orders (the model run second
 * in each pair measured up to 11% faster in an A/A run on the development machine); the geometric
 * mean of the two ratios cancels that bias. A challenger must be {@link #MARGIN} faster to take
 * the lead, so noise does not swap two equal models.
 */
final class LatencyRace {
  /** How many graph structures race: the fastest by their pooled search measurements. */
  static final int CONTENDERS = 3;

  /** How much faster a challenger must be to take the lead. */
  static final double MARGIN = 0.02;

  private LatencyRace() {}

  /**
   * The outcome.
   *
   * @param winner the fastest contender
   * @param lines one line per head-to-head, for the log and the page
   */
  record Result(Trial winner, List<String> lines) {}

  /**
   * Races the best trial within the bar of each of the fastest graph structures.
   *
   * @param leader the trial the search chose
   * @param file where each trial's model is
   */
  static Result run(
      List<Trial> trials, Trial leader, Function<Trial, Path> file, TrialEvaluator evaluator)
      throws EdgeoptException {
    Map<String, Double> pooled = WinnerChoice.pooledSpeedups(trials);
    Map<String, Trial> bestOfStructure = new LinkedHashMap<>();
    trials.stream()
        .filter(Trial::meetsBar)
        .sorted(Comparator.comparingDouble(Trial::top1Drop).thenComparingInt(Trial::index))
        .forEach(t -> bestOfStructure.putIfAbsent(t.config().structureKey(), t));
    bestOfStructure.put(leader.config().structureKey(), leader);
    List<Trial> contenders =
        bestOfStructure.values().stream()
            .sorted(
                Comparator.comparingDouble((Trial t) -> -pooled.get(t.config().structureKey()))
                    .thenComparingInt(Trial::index))
            .limit(CONTENDERS)
            .filter(t -> Files.isRegularFile(file.apply(t)))
            .toList();
    Trial best = leader;
    List<String> lines = new ArrayList<>();
    for (Trial c : contenders) {
      if (c == best || !Files.isRegularFile(file.apply(best))) {
        continue;
      }
      ValidationReport.Latency second = evaluator.headToHead(file.apply(best), file.apply(c));
      ValidationReport.Latency first = evaluator.headToHead(file.apply(c), file.apply(best));
      double ratio = Math.sqrt(second.speedup() / first.speedup());
      boolean wins = ratio > 1 + MARGIN;
      lines.add(
          String.format(
              Locale.ROOT,
              "#%d %s vs #%d %s: %.3fx (both orders, %d runs each)%s",
              c.index(),
              c.config().label(),
              best.index(),
              best.config().label(),
              ratio,
              second.runs(),
              wins ? ": takes the lead" : ""));
      if (wins) {
        best = c;
      }
    }
    return new Result(best, lines);
  }
}
