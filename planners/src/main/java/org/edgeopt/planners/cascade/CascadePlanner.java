package org.edgeopt.planners.cascade;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * Chooses the confidence signal and threshold of a small/large cascade from both models' holdout
 * answers: for each signal the best admitted threshold, then the signal whose choice is best under
 * the constraint (ties: the larger area under its accuracy/escalation curve).
 */
public final class CascadePlanner {
  private CascadePlanner() {}

  /** Plans the cascade for {@code s} with the given per-input latencies. */
  public static CascadePlan plan(
      CascadeSamples s,
      double smallSeconds,
      double largeSeconds,
      String costSource,
      CascadeConstraint constraint,
      List<String> classNames) {
    List<CascadeCurve> curves = new ArrayList<>();
    Map<ConfidenceSignal, Integer> choices = new EnumMap<>(ConfidenceSignal.class);
    ConfidenceSignal best = null;
    for (ConfidenceSignal signal : ConfidenceSignal.values()) {
      CascadeCurve c =
          CascadeCurve.sweep(s, signal, smallSeconds, largeSeconds, constraint.level());
      curves.add(c);
      int pick = -1;
      for (int i = 0; i < c.points().size(); i++) {
        CascadePoint p = c.points().get(i);
        if (constraint.admits(p) && (pick < 0 || constraint.better(p, c.points().get(pick)))) {
          pick = i;
        }
      }
      choices.put(signal, pick);
      if (pick >= 0) {
        if (best == null) {
          best = signal;
        } else {
          CascadePoint mine = c.points().get(pick);
          CascadePoint theirs = curves.get(best.ordinal()).points().get(choices.get(best));
          boolean tie = !constraint.better(mine, theirs) && !constraint.better(theirs, mine);
          if (constraint.better(mine, theirs)
              || (tie && c.area() > curves.get(best.ordinal()).area())) {
            best = signal;
          }
        }
      }
    }
    int n = s.size();
    int smallCorrect = 0;
    int largeCorrect = 0;
    for (int i = 0; i < n; i++) {
      smallCorrect += s.small()[i] == s.labels()[i] ? 1 : 0;
      largeCorrect += s.large()[i] == s.labels()[i] ? 1 : 0;
    }
    return new CascadePlan(
        n,
        Interval.of(smallCorrect, n, constraint.level()),
        Interval.of(largeCorrect, n, constraint.level()),
        smallSeconds,
        largeSeconds,
        costSource,
        constraint,
        curves,
        choices,
        best,
        classNames);
  }
}
