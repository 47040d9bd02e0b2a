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
 * and {@code x / w} is exact in double precision (w is a power of two), a value lands in the same
 * final bin whether it was binned before or after the range grew. Hence {@link #merge} is exact,
 * commutative and associative: statistics of two shards merged equal those of the whole.
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
   * @return false, leaving these statistics unchanged, when a value is NaN or infinite
   */
  public boolean add(float[] values, int n, long batchSamples) {
    float lo = Float.POSITIVE_INFINITY;
    float hi = Float.NEGATIVE_INFINITY;
    boolean nan = false;
    for (int i = 0; i < n; i++) {
      float x = values[i];
      if (x < lo) {
        lo = x;
      }
      if (x > hi) {
        hi = x;
      }
      nan |= x != x;
    }
    if (nan || lo == Float.NEGATIVE_INFINITY || hi == Float.POSITIVE_INFINITY) {
      return false;
    }
    if (n > 0) {
      min = normalizeZero(Math.min(min, lo));
      max = normalizeZero(Math.max(max, hi));
      if (bins != null) {
        growTo(exponentFor(Math.max(Math.abs(lo), Math.abs(hi))));
        double inverseWidth = Math.scalb(1.0, LOG2_HALF - exponent);
        long[] b = bins;
        for (int i = 0; i < n; i++) {
          b[(int) Math.floor(values[i] * inverseWidth) + HALF]++;
        }
      }
    }
    count += n;
    samples += batchSamples;
    return true;
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
