package org.edgeopt.deploy;

/**
 * The fixed bins every confidence and margin histogram uses, in the bundle's baseline and in the
 * field alike, so that the two can be compared bin by bin: {@value #COUNT} equal bins over [0, 1].
 */
public final class ConfidenceBins {
  /** The number of bins. */
  public static final int COUNT = 20;

  private ConfidenceBins() {}

  /** Returns the bin of a value in [0, 1]; values outside are clamped into the end bins. */
  public static int of(double value) {
    int b = (int) (value * COUNT);
    return b < 0 ? 0 : Math.min(COUNT - 1, b);
  }

  /** Returns the centre of bin {@code b}. */
  public static double centre(int b) {
    return (b + 0.5) / COUNT;
  }
}
