package org.edgeopt.planners.cascade;

import org.apache.commons.math3.stat.interval.ClopperPearsonInterval;
import org.apache.commons.math3.stat.interval.ConfidenceInterval;

/**
 * A two-sided exact (Clopper-Pearson) confidence interval of a binomial proportion: conservative
 * at every sample size, which is what a promise about the field needs.
 *
 * @param successes the count observed
 * @param trials the samples
 * @param lower the lower bound
 * @param upper the upper bound
 */
public record Interval(int successes, int trials, double lower, double upper) {

  /** Returns the interval of {@code successes} in {@code trials} at {@code level} (e.g. 0.95). */
  public static Interval of(int successes, int trials, double level) {
    if (trials == 0) {
      return new Interval(0, 0, 0, 1);
    }
    // commons-math refuses the bounds 0 and n; there the exact interval is one-sided in closed
    // form.
    double alpha = 1 - level;
    if (successes == 0) {
      return new Interval(0, trials, 0, 1 - Math.pow(alpha / 2, 1.0 / trials));
    }
    if (successes == trials) {
      return new Interval(trials, trials, Math.pow(alpha / 2, 1.0 / trials), 1);
    }
    ConfidenceInterval ci = new ClopperPearsonInterval().createInterval(trials, successes, level);
    return new Interval(successes, trials, ci.getLowerBound(), ci.getUpperBound());
  }

  /** Returns the point estimate. */
  public double estimate() {
    return trials == 0 ? Double.NaN : successes / (double) trials;
  }
}
