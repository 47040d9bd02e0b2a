package org.edgeopt.optimize;

/**
 * The accuracy a model must keep to count as a solution.
 *
 * @param maxTop1Drop the largest allowed top-1 loss against FP32, in percentage points
 * @param minAgreement the smallest allowed top-1 agreement with FP32, in percent; 0 for none
 */
public record AccuracyBar(double maxTop1Drop, double minAgreement) {
  public AccuracyBar {
    if (!(maxTop1Drop >= 0 && maxTop1Drop <= 100) || !(minAgreement >= 0 && minAgreement <= 100)) {
      throw new IllegalArgumentException(
          "the bar must be 0..100 points and 0..100 percent, found drop "
              + maxTop1Drop
              + ", agreement "
              + minAgreement);
    }
  }

  /** Returns whether a model with this drop and agreement meets the bar. */
  public boolean met(double top1Drop, double agreement) {
    return top1Drop <= maxTop1Drop + 1e-9 && agreement + 1e-9 >= minAgreement;
  }

  /**
   * Returns how far a model misses the bar, in points (0 when it meets it): the larger of its
   * excess drop and its agreement shortfall, so the closest miss is the smallest.
   */
  public double shortfall(double top1Drop, double agreement) {
    return Math.max(0, Math.max(top1Drop - maxTop1Drop, minAgreement - agreement));
  }
}
