package org.edgeopt.deploy;

import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;

/**
 * An exact, order-free sum of numbers in [0, 1]: each value is rounded once to a multiple of
 * 2<sup>-52</sup> and the integers are added in 128 bits, so any grouping of the same values
 * (records split across Spark partitions, merged in any order) gives the same bits, which a
 * floating-point sum does not.
 *
 * <p>The rounding (at most 1.1e-16 per value) is below a double's own precision at 1; 128 bits
 * hold 2<sup>75</sup> values before they could overflow.
 */
final class UnitIntervalSum {
  private static final double SCALE = 0x1p52;
  private long high;
  private long low;

  /** Adds a value in [0, 1]. */
  void add(double value) {
    addScaled(Math.round(value * SCALE), 0);
  }

  /** Adds everything {@code other} holds. */
  void merge(UnitIntervalSum other) {
    addScaled(other.low, other.high);
  }

  private void addScaled(long lowPart, long highPart) {
    long sum = low + lowPart;
    // Unsigned overflow of the low word carries into the high word.
    high += highPart + (Long.compareUnsigned(sum, low) < 0 ? 1 : 0);
    low = sum;
  }

  /** Returns the sum. */
  double value() {
    double unsignedLow = (low >>> 1) * 2.0 + (low & 1);
    return (high * 0x1p64 + unsignedLow) / SCALE;
  }

  void write(DataOutput out) throws IOException {
    out.writeLong(high);
    out.writeLong(low);
  }

  static UnitIntervalSum read(DataInput in) throws IOException {
    UnitIntervalSum s = new UnitIntervalSum();
    s.high = in.readLong();
    s.low = in.readLong();
    return s;
  }
}
