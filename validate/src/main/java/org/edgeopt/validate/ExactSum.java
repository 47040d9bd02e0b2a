package org.edgeopt.validate;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.math.BigDecimal;
import java.math.BigInteger;

/**
 * The exact sum of many doubles, rounded once when read, so that it does not depend on the order
 * of the additions nor on how they were split and merged (one machine, or partitions on a cluster).
 *
 * <p>Why not Kahan or Neumaier: compensated sums are far more accurate than a plain running sum but
 * still depend on the order. This is a fixed-point "superaccumulator": every finite double is an
 * integer multiple of 2^-1074, so the sum is kept as an integer in units of 2^-1074, spread over
 * 32-bit limbs held in longs (a limb takes 2^31 additions before its carries must be propagated).
 * Each addition touches at most three limbs; reading the value converts the integer to the nearest
 * double (round half to even, via {@link BigDecimal#doubleValue()}). Infinities and NaN follow IEEE
 * addition, which is order-independent for them too: any NaN, or both infinities, give NaN.
 */
final class ExactSum {
  private static final int LIMB_BITS = 32;

  /** Covers 2^-1074 up to 2^(32 * 68 - 1074), far past the largest double. */
  private static final int LIMBS = 68;

  private static final long LOW = 0xFFFFFFFFL;

  /** Additions between carry propagations: each adds less than 2^32 to a limb, a long holds 2^63. */
  private static final int PENDING_LIMIT = 1 << 30;

  private static final BigDecimal UNIT =
      new BigDecimal(BigInteger.valueOf(5).pow(1074), 1074); // 2^-1074 exactly

  private final long[] limbs = new long[LIMBS];
  private int pending;
  private boolean nan;
  private boolean positiveInfinity;
  private boolean negativeInfinity;

  /** Adds {@code x} exactly. */
  void add(double x) {
    if (x == 0) {
      return;
    }
    if (!Double.isFinite(x)) {
      nan |= Double.isNaN(x);
      positiveInfinity |= x == Double.POSITIVE_INFINITY;
      negativeInfinity |= x == Double.NEGATIVE_INFINITY;
      return;
    }
    long bits = Double.doubleToRawLongBits(x);
    int biased = (int) ((bits >>> 52) & 0x7FF);
    long mantissa = bits & ((1L << 52) - 1);
    int shift; // x = +-mantissa * 2^(shift - 1074)
    if (biased == 0) {
      shift = 0; // subnormal
    } else {
      mantissa |= 1L << 52;
      shift = biased - 1;
    }
    int limb = shift / LIMB_BITS;
    int offset = shift % LIMB_BITS;
    long p0 = (mantissa & ((1L << (LIMB_BITS - offset)) - 1)) << offset;
    long rest = mantissa >>> (LIMB_BITS - offset);
    long p1 = rest & LOW;
    long p2 = rest >>> LIMB_BITS;
    if (x > 0) {
      limbs[limb] += p0;
      limbs[limb + 1] += p1;
      limbs[limb + 2] += p2;
    } else {
      limbs[limb] -= p0;
      limbs[limb + 1] -= p1;
      limbs[limb + 2] -= p2;
    }
    if (++pending >= PENDING_LIMIT) {
      normalize();
    }
  }

  /** Adds everything {@code other} holds; {@code other} is left unchanged. */
  void add(ExactSum other) {
    normalize();
    other.normalize();
    for (int i = 0; i < LIMBS; i++) {
      limbs[i] += other.limbs[i];
    }
    nan |= other.nan;
    positiveInfinity |= other.positiveInfinity;
    negativeInfinity |= other.negativeInfinity;
    normalize();
  }

  /** Propagates carries: every limb but the last ends in [0, 2^32), the last holds the sign. */
  private void normalize() {
    for (int i = 0; i < LIMBS - 1; i++) {
      long carry = limbs[i] >> LIMB_BITS;
      limbs[i] -= carry << LIMB_BITS;
      limbs[i + 1] += carry;
    }
    pending = 0;
  }

  /** Returns the exact sum rounded to the nearest double. */
  double value() {
    if (nan || (positiveInfinity && negativeInfinity)) {
      return Double.NaN;
    }
    if (positiveInfinity) {
      return Double.POSITIVE_INFINITY;
    }
    if (negativeInfinity) {
      return Double.NEGATIVE_INFINITY;
    }
    BigInteger total = BigInteger.ZERO;
    for (int i = LIMBS - 1; i >= 0; i--) {
      total = total.shiftLeft(LIMB_BITS).add(BigInteger.valueOf(limbs[i]));
    }
    if (total.signum() == 0) {
      return 0;
    }
    return new BigDecimal(total).multiply(UNIT).doubleValue();
  }

  /** Writes the state: the special flags, then the normalized limbs from the lowest non-zero one. */
  void write(DataOutputStream out) throws IOException {
    normalize();
    out.writeByte((nan ? 1 : 0) | (positiveInfinity ? 2 : 0) | (negativeInfinity ? 4 : 0));
    int lo = 0;
    while (lo < LIMBS && limbs[lo] == 0) {
      lo++;
    }
    int hi = LIMBS;
    while (hi > lo && limbs[hi - 1] == 0) {
      hi--;
    }
    out.writeByte(lo);
    out.writeByte(hi - lo);
    for (int i = lo; i < hi; i++) {
      out.writeLong(limbs[i]);
    }
  }

  /** Reads what {@link #write} wrote. */
  static ExactSum read(DataInputStream in) throws IOException {
    ExactSum s = new ExactSum();
    int flags = in.readUnsignedByte();
    if (flags > 7) {
      throw new IOException("an exact sum's flags are " + flags + ": expected 0..7");
    }
    s.nan = (flags & 1) != 0;
    s.positiveInfinity = (flags & 2) != 0;
    s.negativeInfinity = (flags & 4) != 0;
    int lo = in.readUnsignedByte();
    int n = in.readUnsignedByte();
    if (lo + n > LIMBS) {
      throw new IOException(
          "an exact sum has limbs " + lo + ".." + (lo + n) + ": expected at most " + LIMBS);
    }
    for (int i = 0; i < n; i++) {
      s.limbs[lo + i] = in.readLong();
    }
    return s;
  }
}
