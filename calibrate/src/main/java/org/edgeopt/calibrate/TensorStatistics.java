package org.edgeopt.calibrate;

import java.util.Arrays;
import java.util.Objects;

/**
 * Running statistics of one activation tensor: sample and element counts, the exact minimum and
 * maximum, and optionally a fixed-size histogram whose range grows by powers of two.
 *
 * <p><b>Histogram and re-binning rule.</b> The histogram has {@value #BINS} bins over
 * {@code [-R, R)} where {@code R = 2^e} is the smallest power of two strictly greater than the
 * largest absolute value seen; bin {@code i} covers {@code [-R + i*w, -R + (i+1)*w)} with
 * {@code w = 2R / BINS}, so a value {@code x} falls in bin {@code floor(x / w) + BINS/2}. When a
 * later batch holds a value {@code >= R}, the exponent grows by {@code k} and bin {@code i} moves to
 * {@code ((i - BINS/2) >> k) + BINS/2}: every new bin is the union of {@code 2^k} old bins, edges
 * stay aligned, and no count is ever split. Because {@code floor(floor(y) / 2^k) = floor(y / 2^k)}
 * and {@code x / w} is computed exactly (w is a power of two; the one float underflow that could
 * change a floor, a tiny negative value rounding to -0, is corrected), a value lands in the same
 * final bin whether it was binned before or after the range grew. Hence {@link #merge} is exact,
 * commutative and associative: statistics of two shards merged equal those of the whole, and
 * which batch size or order the data came in does not matter.
 *
 * <p>Instances are mutable accumulators confined to one thread; {@link #merge} and {@link #copy}
 * return new instances.
 */
public final class TensorStatistics {
  /** The number of histogram bins over {@code [-R, R)}; a power of two. */
  public static final int BINS = 4096;

  private static final int HALF = BINS / 2;
  private static final int LOG2_HALF = Integer.numberOfTrailingZeros(HALF);
  /** The smallest range exponent: {@code 2^-126} is above every subnormal float. */
  private static final int MIN_EXPONENT = Float.MIN_EXPONENT;

  private final String name;
  private long samples;
  private long count;
  private float min = Float.POSITIVE_INFINITY;
  private float max = Float.NEGATIVE_INFINITY;
  private int exponent = MIN_EXPONENT;
  private final long[] bins;

  private TensorStatistics(String name, boolean histogram) {
    this.name = Objects.requireNonNull(name, "name");
    this.bins = histogram ? new long[BINS] : null;
  }

  /** Returns empty statistics that keep a histogram (needed by every method but minmax). */
  public static TensorStatistics withHistogram(String name) {
    return new TensorStatistics(name, true);
  }

  /** Returns empty statistics that keep only counts, minimum and maximum. */
  public static TensorStatistics minMaxOnly(String name) {
    return new TensorStatistics(name, false);
  }

  /**
   * Adds the first {@code n} values of a batch that holds {@code batchSamples} samples.
   *
   * @return false when a value is NaN or infinite; the statistics are then unusable, as the run
   *     that fed them is abandoned
   */
  public boolean add(float[] values, int n, long batchSamples) {
    int[] bits = new int[n];
    for (int i = 0; i < n; i++) {
      bits[i] = Float.floatToRawIntBits(values[i]);
    }
    return addBits(bits, n, batchSamples);
  }

  /**
   * As {@link #add}, for values given as their IEEE-754 bits ({@link Float#floatToRawIntBits}),
   * which is how activations are read out of ONNX Runtime's buffers.
   *
   * <p>The extremes are found by comparing the bits as integers, mapped so that integer order is
   * float order: no floating-point compare (about twice as fast as a loop with one), and NaN and
   * infinity come out as keys beyond those of the infinities. The first batch of a histogram
   * finds its extremes first, to set the range; every batch is then binned in one pass at the
   * current range (see {@code addBinningAtCurrentRange}).
   */
  public boolean addBits(int[] bits, int n, long batchSamples) {
    if (n > 0) {
      if (bins == null || LOG2_HALF - exponent > Float.MAX_EXPONENT) {
        // No histogram, or none yet (the first batch): the extremes alone, first.
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
        if (bins != null) {
          growTo(exponentFor(Math.max(Math.abs(min), Math.abs(max))));
        }
      }
      if (bins != null) {
        if (LOG2_HALF - exponent > Float.MAX_EXPONENT) {
          binTiny(bits, n);
        } else if (!addBinningAtCurrentRange(bits, n)) {
          return false;
        }
      }
    }
    count += n;
    samples += batchSamples;
    return true;
  }

  /**
   * One pass once the range is known (every batch after the first): extremes, zeros and bins at
   * the current range together; values outside it, rare once the range has settled, are binned
   * in a second pass after the range grows, which gives the same bins (see the class comment).
   */
  private boolean addBinningAtCurrentRange(int[] bits, int n) {
    float inverseWidth = Math.scalb(1f, LOG2_HALF - exponent);
    long[] b = bins;
    int lo = Integer.MAX_VALUE;
    int hi = Integer.MIN_VALUE;
    long positiveZeros = 0;
    long negativeZeros = 0;
    boolean outside = false;
    // Exact zeros (half of a ReLU output, in runs) are counted apart: incrementing one counter
    // over and over makes each increment wait on the previous store, while a branch on runs of
    // zeros predicts well. bin(+0) is HALF, bin(-0) is HALF - 1 (see bin()).
    for (int i = 0; i < n; i++) {
      int x = bits[i];
      int key = x ^ ((x >> 31) & 0x7fffffff);
      lo = Math.min(lo, key);
      hi = Math.max(hi, key);
      if ((x << 1) == 0) {
        if (x == 0) {
          positiveZeros++;
        } else {
          negativeZeros++;
        }
      } else {
        int bin = bin(Float.intBitsToFloat(x), inverseWidth);
        if ((bin & -BINS) == 0) {
          b[bin]++;
        } else {
          outside = true;
        }
      }
    }
    if (lo <= NEGATIVE_INFINITY_KEY || hi >= POSITIVE_INFINITY_KEY) {
      return false;
    }
    record(fromKey(lo), fromKey(hi));
    b[HALF] += positiveZeros;
    b[HALF - 1] += negativeZeros;
    if (outside) {
      growTo(exponentFor(Math.max(Math.abs(min), Math.abs(max))));
      // The range only grew, so 1/w shrank by a power of two and is still a normal float.
      float newInverseWidth = Math.scalb(1f, LOG2_HALF - exponent);
      for (int i = 0; i < n; i++) {
        int x = bits[i];
        if ((x << 1) != 0 && (bin(Float.intBitsToFloat(x), inverseWidth) & -BINS) != 0) {
          b[bin(Float.intBitsToFloat(x), newInverseWidth)]++;
        }
      }
    }
    return true;
  }

  /** Integer keys of the infinities: {@code b ^ ((b >> 31) & 0x7fffffff)} orders ints as floats. */
  private static final int POSITIVE_INFINITY_KEY = Float.floatToRawIntBits(Float.POSITIVE_INFINITY);
  private static final int NEGATIVE_INFINITY_KEY = Float.floatToRawIntBits(Float.NEGATIVE_INFINITY) ^ 0x7fffffff;

  private static float fromKey(int key) {
    return Float.intBitsToFloat(key ^ ((key >> 31) & 0x7fffffff));
  }

  /** Bins every value of a range below 2^-116, where 1/w is not a float; double products are exact. */
  private void binTiny(int[] bits, int n) {
    double inverseWidth = Math.scalb(1.0, LOG2_HALF - exponent);
    for (int i = 0; i < n; i++) {
      bins[(int) Math.floor(Float.intBitsToFloat(bits[i]) * inverseWidth) + HALF]++;
    }
  }

  /** Folds a batch's extremes into the running ones. */
  private void record(float lo, float hi) {
    min = normalizeZero(Math.min(min, lo));
    max = normalizeZero(Math.max(max, hi));
  }

  /**
   * Returns {@code floor(x / w) + BINS/2}. {@code x / w} is a float times a power of two: exact in
   * float arithmetic unless it underflows. A positive underflow still floors to 0; a negative one
   * can round to -0.0, which would floor to 0 instead of -1, so that case is corrected.
   */
  private static int bin(float x, float inverseWidth) {
    float y = x * inverseWidth;
    // Branch-free, as ReLU outputs make "y is zero" a coin toss: subtract 1 when x < 0 and y is +-0.
    int negative = Float.floatToRawIntBits(x) >> 31;
    int magnitude = Float.floatToRawIntBits(y) << 1;
    int yIsZero = ((magnitude - 1) & ~magnitude) >> 31;
    return (int) Math.floor(y) + HALF + (negative & yIsZero);
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

  private void growTo(int newExponent) {
    if (newExponent <= exponent) {
      return;
    }
    rebin(bins, Math.min(31, newExponent - exponent));
    exponent = newExponent;
  }

  /** Merges bins in place for a range {@code 2^k} times wider (the documented rule). */
  private static void rebin(long[] b, int k) {
    long[] old = b.clone();
    Arrays.fill(b, 0L);
    for (int i = 0; i < BINS; i++) {
      if (old[i] != 0) {
        b[((i - HALF) >> k) + HALF] += old[i];
      }
    }
  }

  /** Returns new statistics holding both these and {@code other}; neither is changed. */
  public TensorStatistics merge(TensorStatistics other) {
    if (!name.equals(other.name)) {
      throw new IllegalArgumentException("cannot merge statistics of tensor '" + name + "' with those of '" + other.name + "'");
    }
    if (hasHistogram() != other.hasHistogram()) {
      throw new IllegalArgumentException("tensor '" + name + "': cannot merge statistics with and without a histogram");
    }
    TensorStatistics m = copy();
    m.samples += other.samples;
    m.count += other.count;
    m.min = normalizeZero(Math.min(m.min, other.min));
    m.max = normalizeZero(Math.max(m.max, other.max));
    if (m.bins != null) {
      long[] theirs = other.bins.clone();
      int e = Math.max(m.exponent, other.exponent);
      m.growTo(e);
      if (e > other.exponent) {
        rebin(theirs, Math.min(31, e - other.exponent));
      }
      for (int i = 0; i < BINS; i++) {
        m.bins[i] += theirs[i];
      }
    }
    return m;
  }

  /** Returns an independent copy. */
  public TensorStatistics copy() {
    TensorStatistics c = new TensorStatistics(name, bins != null);
    c.samples = samples;
    c.count = count;
    c.min = min;
    c.max = max;
    c.exponent = exponent;
    if (bins != null) {
      System.arraycopy(bins, 0, c.bins, 0, BINS);
    }
    return c;
  }

  /** Returns the tensor name. */
  public String name() {
    return name;
  }

  /** Returns how many data set samples contributed. */
  public long samples() {
    return samples;
  }

  /** Returns how many tensor elements were seen. */
  public long count() {
    return count;
  }

  /** Returns the smallest value seen ({@code +Infinity} before any). */
  public float min() {
    return min;
  }

  /** Returns the largest value seen ({@code -Infinity} before any). */
  public float max() {
    return max;
  }

  /** Returns whether a histogram is kept. */
  public boolean hasHistogram() {
    return bins != null;
  }

  /** Returns {@code R}: the histogram covers {@code [-R, R)}. */
  public double histogramLimit() {
    return Math.scalb(1.0, exponent);
  }

  /** Returns the bin width of statistics whose largest magnitude is {@code absMax}. */
  public static double binWidthFor(float absMax) {
    return Math.scalb(1.0, exponentFor(absMax) - LOG2_HALF);
  }

  /** Returns the width of one histogram bin. */
  public double binWidth() {
    return Math.scalb(1.0, exponent - LOG2_HALF);
  }

  /** Returns a copy of the {@value #BINS} bin counts over {@code [-R, R)}. */
  public long[] histogram() {
    requireHistogram();
    return bins.clone();
  }

  /**
   * Returns the histogram of absolute values: {@code BINS/2} bins of width {@link #binWidth()}
   * over {@code [0, R)}, bin {@code j} holding the two bins at distance {@code j} from zero.
   */
  public long[] absHistogram() {
    requireHistogram();
    long[] a = new long[HALF];
    for (int j = 0; j < HALF; j++) {
      a[j] = bins[HALF + j] + bins[HALF - 1 - j];
    }
    return a;
  }

  private void requireHistogram() {
    if (bins == null) {
      throw new IllegalStateException("tensor '" + name + "': statistics were collected without a histogram (minmax only)");
    }
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof TensorStatistics t && name.equals(t.name) && samples == t.samples && count == t.count
        && Float.compare(min, t.min) == 0 && Float.compare(max, t.max) == 0 && exponent == t.exponent
        && Arrays.equals(bins, t.bins);
  }

  @Override
  public int hashCode() {
    return Objects.hash(name, samples, count, min, max, exponent) * 31 + Arrays.hashCode(bins);
  }

  @Override
  public String toString() {
    return "TensorStatistics[" + name + ": " + samples + " samples, " + count + " values in [" + min + ", " + max + "]"
        + (bins == null ? "" : ", histogram over [-2^" + exponent + ", 2^" + exponent + ")") + "]";
  }
}
