package org.edgeopt.planners.cascade;

import java.util.Map;

/**
 * What the cascade must guarantee, judged on the confidence bounds from the holdout rather than
 * on point estimates.
 *
 * @param minAccuracy the least cascade top-1 (its interval's lower bound must reach it), or NaN
 * @param maxEscalation the largest escalation rate (its interval's upper bound must stay within), or NaN
 * @param recallFloors the least recall of some classes (lower bounds), by class index
 * @param level the confidence level of the intervals, e.g. 0.95
 */
public record CascadeConstraint(
    double minAccuracy, double maxEscalation, Map<Integer, Double> recallFloors, double level) {

  public CascadeConstraint {
    recallFloors = Map.copyOf(recallFloors);
    if (Double.isNaN(minAccuracy) == Double.isNaN(maxEscalation)) {
      throw new IllegalArgumentException(
          "give exactly one of a minimum accuracy and a maximum escalation rate");
    }
    if (!(level > 0 && level < 1)) {
      throw new IllegalArgumentException("confidence level must be within (0, 1), found " + level);
    }
  }

  /** Returns whether the point meets every bound. */
  public boolean admits(CascadePoint p) {
    for (Map.Entry<Integer, Double> f : recallFloors.entrySet()) {
      if (f.getKey() >= p.recall().size() || p.recall().get(f.getKey()).lower() < f.getValue()) {
        return false;
      }
    }
    return Double.isNaN(minAccuracy)
        ? p.escalation().upper() <= maxEscalation
        : p.accuracy().lower() >= minAccuracy;
  }

  /** Returns whether {@code a} is a better admitted point than {@code b}: cheaper under an accuracy floor, more accurate under an escalation cap. */
  public boolean better(CascadePoint a, CascadePoint b) {
    if (!Double.isNaN(minAccuracy)) {
      return a.expectedSeconds() < b.expectedSeconds()
          || (a.expectedSeconds() == b.expectedSeconds()
              && a.accuracy().successes() > b.accuracy().successes());
    }
    return a.accuracy().successes() > b.accuracy().successes()
        || (a.accuracy().successes() == b.accuracy().successes()
            && a.escalation().successes() < b.escalation().successes());
  }

  /** Returns the rule in words, for reports. */
  public String describe() {
    String main =
        Double.isNaN(minAccuracy)
            ? String.format(
                java.util.Locale.ROOT, "escalation rate upper bound <= %.4g", maxEscalation)
            : String.format(java.util.Locale.ROOT, "accuracy lower bound >= %.4g", minAccuracy);
    return main
        + (recallFloors.isEmpty() ? "" : ", recall floors " + recallFloors)
        + " at "
        + Math.round(level * 100)
        + "% confidence (Clopper-Pearson)";
  }
}
