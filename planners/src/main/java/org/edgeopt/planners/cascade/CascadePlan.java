package org.edgeopt.planners.cascade;

import java.util.List;
import java.util.Map;

/**
 * The result of planning a cascade: every signal's curve and choice, and the chosen signal and threshold.
 *
 * @param samples the holdout samples both models ran on
 * @param smallAccuracy the small model alone
 * @param largeAccuracy the large model alone
 * @param smallSeconds the small model's latency per input
 * @param largeSeconds the large model's latency per input
 * @param costSource how the latencies were obtained
 * @param constraint what the cascade must guarantee
 * @param curves one curve per signal
 * @param choices the chosen point's index on each signal's curve, -1 where none is admitted
 * @param signal the chosen signal, or null when no signal admits any threshold
 * @param classNames class names by index (may be empty)
 */
public record CascadePlan(
    int samples,
    Interval smallAccuracy,
    Interval largeAccuracy,
    double smallSeconds,
    double largeSeconds,
    String costSource,
    CascadeConstraint constraint,
    List<CascadeCurve> curves,
    Map<ConfidenceSignal, Integer> choices,
    ConfidenceSignal signal,
    List<String> classNames) {

  public CascadePlan {
    curves = List.copyOf(curves);
    choices = Map.copyOf(choices);
    classNames = List.copyOf(classNames);
  }

  /** Returns whether some threshold meets the constraint. */
  public boolean feasible() {
    return signal != null;
  }

  /** Returns the chosen signal's curve. */
  public CascadeCurve curve() {
    return curves.get(signal.ordinal());
  }

  /** Returns the chosen point. */
  public CascadePoint chosen() {
    return curve().points().get(choices.get(signal));
  }
}
