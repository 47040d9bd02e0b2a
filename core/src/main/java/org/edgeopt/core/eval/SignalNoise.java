package org.edgeopt.core.eval;

/**
 * The energy of a reference signal and of the error of a test signal against it, the two sums
 * every SQNR in edgeopt is made of: {@code SQNR = 10 log10(signal / noise)}.
 *
 * <p>Sums are in double precision over float values, so they can be added across batches
 * ({@link #plus}) and the dB figure taken once at the end. How an exact match or a zero
 * reference is reported is the caller's convention (quantize: +infinity; validate: capped).
 *
 * @param signal {@code sum ref^2}
 * @param noise {@code sum (ref - test)^2}
 */
public record SignalNoise(double signal, double noise) {
  /** No signal, no noise: the start of a running sum. */
  public static final SignalNoise ZERO = new SignalNoise(0, 0);

  /**
   * Measures {@code test} against {@code reference}.
   *
   * @throws IllegalArgumentException if the arrays differ in length
   */
  public static SignalNoise of(float[] reference, float[] test) {
    if (reference.length != test.length) {
      throw new IllegalArgumentException(
          "expected arrays of equal length, found " + reference.length + " and " + test.length);
    }
    double signal = 0;
    double noise = 0;
    for (int i = 0; i < reference.length; i++) {
      double r = reference[i];
      double e = r - test[i];
      signal += r * r;
      noise += e * e;
    }
    return new SignalNoise(signal, noise);
  }

  /** Returns the sums of this measurement and {@code other}. */
  public SignalNoise plus(SignalNoise other) {
    return new SignalNoise(signal + other.signal, noise + other.noise);
  }
}
