package org.edgeopt.calibrate;

import static org.edgeopt.calibrate.TensorStatistics.BINS;

import java.util.Arrays;

/**
 * The value arithmetic behind {@link TensorStatistics}: how many values were seen, their exact
 * minimum and maximum, and optionally the histogram under the re-binning rule documented there.
 *
 * <p><b>Two halves.</b> Internally the negative and the positive half each keep their own
 * exponent, {@code e- } for the largest magnitude below zero and {@code e+} above it, under the
 * same rule; {@link #histogram()} and the other views re-bin the finer half to
 * {@code e = max(e-, e+)}, which is exactly the histogram {@link TensorStatistics} describes. The
 * halves exist so that a ReLU's statistics can be derived from its input's ({@link #reluOutput})
 * without capturing the ReLU's output: its positive half, at its own exponent, is the ReLU
 * output's.
 *
 * <p>Instances are mutable and confined to one thread, like the statistics that hold them;
 * {@link #merge}, {@link #copy} and {@link #reluOutput} return new instances.
 */
final class ValueAccumulator {
  private static final int HALF = BINS / 2;
  private static final int LOG2_HALF = Integer.numberOfTrailingZeros(HALF);

  /** The smallest range exponent: {@code 2^-126} is above every subnormal float. */
  private static final int MIN_EXPONENT = Float.MIN_EXPONENT;

  private long count;
  private float min = Float.POSITIVE_INFINITY;
  private float max = Float.NEGATIVE_INFINITY;

  /** The exponents of the negative half (bins below {@code HALF}) and the positive half. */
  private int negativeExponent = MIN_EXPONENT;

  private int positiveExponent = MIN_EXPONENT;
  private final long[] bins;

  ValueAccumulator(boolean histogram) {
    this.bins = histogram ? new long[BINS] : null;
  }

  /**
   * Adds the first {@code n} values, given as their IEEE-754 bits.
   *
   * <p>The extremes are found by comparing the bits as integers, mapped so that integer order is
   * float order: no floating-point compare (about twice as fast as a loop with one), and NaN and
   * infinity come out as keys beyond those of the infinities. A histogram is filled in one pass
   * at the current range (see {@code addBinningAtCurrentRange}).
   *
   * @return false when a value is NaN or infinite (nothing is counted)
   */
  boolean addBits(int[] bits, int n) {
    if (n > 0) {
      if (bins == null) {
        int lo = Integer.MAX_VALUE;
        int hi = Integer.MIN_VALUE;
        for (int i = 0; i < n; i++) {
          int b = bits[i];
          int key = b ^ ((b >> 31) & 0x7fffffff);
          lo = Math.min(lo, key);
          hi = Math.max(hi, key);
        }
        if (lo <= NEGATIVE_INFINITY_KEY || hi >= POSITIVE_INFINITY_KEY) {
          return false;
        }
        record(fromKey(lo), fromKey(hi));
      } else if (!addBinningAtCurrentRange(bits, n)) {
        return false;
      }
    }
    count += n;
    return true;
  }

  /**
   * One pass at the current range: extremes and bins together. Values outside the range (every
   * value but a subnormal one of a half with nothing seen yet, whose range is the smallest,
   * 2^-126; rare once the range has settled) are binned in a second pass after the range grows,
   * which gives the same bins (see the class comment of {@link TensorStatistics}).
   */
  private boolean addBinningAtCurrentRange(int[] bits, int n) {
    // Per half: 1/w as a double (always finite, and x / w exact for every float x) and the bits
    // of R as a float (|x| >= R, outside, is an integer compare of the magnitude bits). The half
    // is chosen by the sign without a branch: signs of real data are a coin toss.
    long positiveInverse =
        Double.doubleToRawLongBits(Math.scalb(1.0, LOG2_HALF - positiveExponent));
    long inverseSwap =
        positiveInverse ^ Double.doubleToRawLongBits(Math.scalb(1.0, LOG2_HALF - negativeExponent));
    int positiveLimit = limitBits(positiveExponent);
    int limitSwap = positiveLimit ^ limitBits(negativeExponent);
    long[] b = bins;
    int lo = Integer.MAX_VALUE;
    int hi = Integer.MIN_VALUE;
    boolean outside = false;
    // Runs of equal values (the zeros of a ReLU, a convolution's bias over an image's blank
    // background: most of mnist-7's values) are counted in a register and added to their bin when
    // the run ends: incrementing one bin over and over makes each increment wait on the previous
    // store. On values that change every time, the compare is a well-predicted branch.
    int runValue = bits[0];
    int runBin = bin(runValue, positiveInverse, inverseSwap, positiveLimit, limitSwap);
    int run = 0;
    for (int i = 0; i < n; i++) {
      int x = bits[i];
      int key = x ^ ((x >> 31) & 0x7fffffff);
      lo = Math.min(lo, key);
      hi = Math.max(hi, key);
      if (x == runValue) {
        run++;
      } else {
        if (runBin >= 0) {
          b[runBin] += run;
        } else {
          outside = true;
        }
        runValue = x;
        runBin = bin(x, positiveInverse, inverseSwap, positiveLimit, limitSwap);
        run = 1;
      }
    }
    if (runBin >= 0) {
      b[runBin] += run;
    } else {
      outside = true;
    }
    if (lo <= NEGATIVE_INFINITY_KEY || hi >= POSITIVE_INFINITY_KEY) {
      return false;
    }
    record(fromKey(lo), fromKey(hi));
    if (outside) {
      growPositive(exponentFor(Math.max(max, 0f)));
      growNegative(exponentFor(Math.max(-min, 0f)));
      double newPositiveInverse = Math.scalb(1.0, LOG2_HALF - positiveExponent);
      double newNegativeInverse = Math.scalb(1.0, LOG2_HALF - negativeExponent);
      for (int i = 0; i < n; i++) {
        int x = bits[i];
        if (bin(x, positiveInverse, inverseSwap, positiveLimit, limitSwap) < 0) {
          b[
              (int)
                      Math.floor(
                          Float.intBitsToFloat(x)
                              * (x < 0 ? newNegativeInverse : newPositiveInverse))
                  + HALF]++;
        }
      }
    }
    return true;
  }

  /** Returns the bits of {@code R = 2^e} as a float ({@code +infinity} for {@code e = 128}). */
  private static int limitBits(int exponent) {
    return Float.floatToRawIntBits(Math.scalb(1f, exponent));
  }

  /**
   * Returns {@code floor(x / w) + BINS/2} for the value with bits {@code x}, or -1 when
   * {@code |x| >= R} of its half. {@code x / w + BINS/2} is computed in double: the product is
   * exact, and so is the sum unless {@code |x / w| < 2^-18}, where rounding can only take a
   * small negative value up to exactly {@code BINS/2}, which is corrected (a negative value's bin
   * is below {@code BINS/2}). In range the sum is positive, so truncation is the floor.
   */
  private static int bin(
      int x, long positiveInverse, long inverseSwap, int positiveLimit, int limitSwap) {
    int sign = x >> 31;
    if ((x & 0x7fffffff) >= (positiveLimit ^ (sign & limitSwap))) {
      return -1;
    }
    double inverse = Double.longBitsToDouble(positiveInverse ^ (sign & inverseSwap));
    int t = (int) (Float.intBitsToFloat(x) * inverse + HALF);
    return t - (sign & ((HALF - 1 - t) >>> 31));
  }

  /** Integer keys of the infinities: {@code b ^ ((b >> 31) & 0x7fffffff)} orders ints as floats. */
  private static final int POSITIVE_INFINITY_KEY = Float.floatToRawIntBits(Float.POSITIVE_INFINITY);

  private static final int NEGATIVE_INFINITY_KEY =
      Float.floatToRawIntBits(Float.NEGATIVE_INFINITY) ^ 0x7fffffff;

  private static float fromKey(int key) {
    return Float.intBitsToFloat(key ^ ((key >> 31) & 0x7fffffff));
  }

  /** Folds a batch's extremes into the running ones. */
  private void record(float lo, float hi) {
    min = normalizeZero(Math.min(min, lo));
    max = normalizeZero(Math.max(max, hi));
  }

  /** Returns the smallest {@code e} with {@code 2^e > absMax}, never below the minimum exponent. */
  static int exponentFor(float absMax) {
    if (absMax == 0f) {
      return MIN_EXPONENT;
    }
    // getExponent is floor(log2) for normal floats and -127 for subnormals, so 2^(e+1) > absMax.
    return Math.max(MIN_EXPONENT, Math.getExponent(absMax) + 1);
  }

  private static float normalizeZero(float v) {
    // -0.0 and 0.0 compare equal but print differently; keep one so merge order cannot show.
    return v == 0f ? 0f : v;
  }

  private void growPositive(int newExponent) {
    if (newExponent > positiveExponent) {
      rebin(bins, HALF, BINS, newExponent - positiveExponent);
      positiveExponent = newExponent;
    }
  }

  private void growNegative(int newExponent) {
    if (newExponent > negativeExponent) {
      rebin(bins, 0, HALF, newExponent - negativeExponent);
      negativeExponent = newExponent;
    }
  }

  /**
   * Merges the bins {@code [from, to)} of one half in place for a range {@code 2^k} times wider
   * (the documented rule); a bin stays on its side of zero.
   */
  private static void rebin(long[] b, int from, int to, int k) {
    if (k <= 0) {
      return;
    }
    int shift = Math.min(31, k);
    long[] old = Arrays.copyOfRange(b, from, to);
    Arrays.fill(b, from, to, 0L);
    for (int i = from; i < to; i++) {
      long c = old[i - from];
      if (c != 0) {
        b[((i - HALF) >> shift) + HALF] += c;
      }
    }
  }

  /**
   * Returns a new accumulator holding both these values and {@code other}'s; neither is changed.
   * Both must keep a histogram or neither ({@link TensorStatistics#merge} checks).
   */
  ValueAccumulator merge(ValueAccumulator other) {
    ValueAccumulator m = copy();
    m.count += other.count;
    m.min = normalizeZero(Math.min(m.min, other.min));
    m.max = normalizeZero(Math.max(m.max, other.max));
    if (m.bins != null) {
      ValueAccumulator theirs = other.copy();
      int negative = Math.max(m.negativeExponent, other.negativeExponent);
      int positive = Math.max(m.positiveExponent, other.positiveExponent);
      m.growNegative(negative);
      m.growPositive(positive);
      theirs.growNegative(negative);
      theirs.growPositive(positive);
      for (int i = 0; i < BINS; i++) {
        m.bins[i] += theirs.bins[i];
      }
    }
    return m;
  }

  /** Returns an independent copy. */
  ValueAccumulator copy() {
    return restore(count, min, max, negativeExponent, positiveExponent, bins);
  }

  /**
   * Returns the accumulator of {@code Relu} applied to these values: exactly what adding the
   * ReLU's output values would have collected, since the positive half keeps its own exponent;
   * every negative value (and -0.0) becomes +0.0.
   */
  ValueAccumulator reluOutput() {
    ValueAccumulator r = new ValueAccumulator(bins != null);
    r.count = count;
    if (count > 0) {
      r.min = Math.max(min, 0f);
      r.max = Math.max(max, 0f);
    }
    if (bins != null) {
      r.positiveExponent = positiveExponent;
      System.arraycopy(bins, HALF, r.bins, HALF, HALF);
      for (int i = 0; i < HALF; i++) {
        r.bins[HALF] += bins[i];
      }
    }
    return r;
  }

  /**
   * Rebuilds an accumulator from its parts: the count, the extremes, the exponent of each half
   * and, when kept, the {@value TensorStatistics#BINS} bins at those exponents (copied).
   */
  static ValueAccumulator restore(
      long count, float min, float max, int negativeExponent, int positiveExponent, long[] bins) {
    ValueAccumulator a = new ValueAccumulator(bins != null);
    a.count = count;
    a.min = min;
    a.max = max;
    a.negativeExponent = negativeExponent;
    a.positiveExponent = positiveExponent;
    if (bins != null) {
      System.arraycopy(bins, 0, a.bins, 0, BINS);
    }
    return a;
  }

  /** Returns how many values were seen. */
  long count() {
    return count;
  }

  /** Returns the smallest value seen ({@code +Infinity} before any). */
  float min() {
    return min;
  }

  /** Returns the largest value seen ({@code -Infinity} before any). */
  float max() {
    return max;
  }

  /** Returns the exponent of the negative half's range. */
  int negativeExponent() {
    return negativeExponent;
  }

  /** Returns the exponent of the positive half's range. */
  int positiveExponent() {
    return positiveExponent;
  }

  /** Returns the bins at each half's own exponent, not copied; null without a histogram. */
  long[] rawBins() {
    return bins;
  }

  /** Returns {@code R}: the histogram covers {@code [-R, R)}. */
  double histogramLimit() {
    return Math.scalb(1.0, exponent());
  }

  /** Returns the bin width of values whose largest magnitude is {@code absMax}. */
  static double binWidthFor(float absMax) {
    return Math.scalb(1.0, exponentFor(absMax) - LOG2_HALF);
  }

  /** Returns the width of one histogram bin. */
  double binWidth() {
    return Math.scalb(1.0, exponent() - LOG2_HALF);
  }

  /** Returns a copy of the bin counts over {@code [-R, R)}, both halves at the common exponent. */
  long[] histogram() {
    ValueAccumulator common = copy();
    common.growNegative(exponent());
    common.growPositive(exponent());
    return common.bins;
  }

  /**
   * Returns the histogram of absolute values: {@code BINS/2} bins of width {@link #binWidth()}
   * over {@code [0, R)}, bin {@code j} holding the two bins at distance {@code j} from zero.
   */
  long[] absHistogram() {
    long[] h = histogram();
    long[] a = new long[HALF];
    for (int j = 0; j < HALF; j++) {
      a[j] = h[HALF + j] + h[HALF - 1 - j];
    }
    return a;
  }

  /** The exponent of the histogram's common range {@code R}: that of the wider half. */
  private int exponent() {
    return Math.max(negativeExponent, positiveExponent);
  }
}
