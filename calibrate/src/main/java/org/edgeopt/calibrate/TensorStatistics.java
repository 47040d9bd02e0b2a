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
 * and the floor of {@code x / w} is computed exactly (w is a power of two, so {@code x / w} is
 * exact in double; the one rounding that could change the floor, a tiny negative value landing
 * on a bin edge, is corrected), a value lands in the same final bin whether it was binned before
 * or after the range grew. Hence {@link #merge} is exact,
 * commutative and associative: statistics of two shards merged equal those of the whole, and
 * which batch size or order the data came in does not matter.
 *
 * <p><b>Parts.</b> This class holds the tensor's name and sample count, checks that what is merged
 * belongs together, and serves the public views and {@link StatisticsCodec}'s parts. The values
 * themselves (element count, extremes and the histogram, whose negative and positive halves each
 * keep their own exponent so that {@link #reluOutput} is exact) are accumulated by a {@code
 * ValueAccumulator}, which implements the rule above.
 *
 * <p>Instances are mutable accumulators confined to one thread; {@link #merge}, {@link #copy} and
 * the derivations return new instances.
 */
public final class TensorStatistics {
  /** The number of histogram bins over {@code [-R, R)}; a power of two. */
  public static final int BINS = 4096;

  private final String name;
  private long samples;
  private final ValueAccumulator values;

  private TensorStatistics(String name, long samples, ValueAccumulator values) {
    this.name = Objects.requireNonNull(name, "name");
    this.samples = samples;
    this.values = values;
  }

  /** Returns empty statistics that keep a histogram (needed by every method but minmax). */
  public static TensorStatistics withHistogram(String name) {
    return new TensorStatistics(name, 0, new ValueAccumulator(true));
  }

  /** Returns empty statistics that keep only counts, minimum and maximum. */
  public static TensorStatistics minMaxOnly(String name) {
    return new TensorStatistics(name, 0, new ValueAccumulator(false));
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
   */
  public boolean addBits(int[] bits, int n, long batchSamples) {
    if (!values.addBits(bits, n)) {
      return false;
    }
    samples += batchSamples;
    return true;
  }

  /** Returns new statistics holding both these and {@code other}; neither is changed. */
  public TensorStatistics merge(TensorStatistics other) {
    if (!name.equals(other.name)) {
      throw new IllegalArgumentException(
          "cannot merge statistics of tensor '" + name + "' with those of '" + other.name + "'");
    }
    if (hasHistogram() != other.hasHistogram()) {
      throw new IllegalArgumentException(
          "tensor '" + name + "': cannot merge statistics with and without a histogram");
    }
    return new TensorStatistics(name, samples + other.samples, values.merge(other.values));
  }

  /** Returns an independent copy. */
  public TensorStatistics copy() {
    return renamed(name);
  }

  /**
   * Returns an independent copy under another name: the statistics of a tensor holding the same
   * values, such as the output of a Reshape, Flatten, Transpose, Squeeze, Unsqueeze or Identity.
   */
  public TensorStatistics renamed(String newName) {
    return new TensorStatistics(newName, samples, values.copy());
  }

  /**
   * Returns the statistics of {@code Relu} applied to this tensor, named {@code outputName}:
   * exactly those that adding the ReLU's output values would have collected, since the positive
   * half keeps its own exponent; every negative value (and -0.0) becomes +0.0.
   */
  public TensorStatistics reluOutput(String outputName) {
    return new TensorStatistics(outputName, samples, values.reluOutput());
  }

  /**
   * Rebuilds statistics from their parts, as {@link StatisticsCodec} reads them: the counts, the
   * extremes, the exponent of each half and, when kept, the {@value #BINS} bins at those exponents.
   */
  static TensorStatistics restore(
      String name,
      long samples,
      long count,
      float min,
      float max,
      int negativeExponent,
      int positiveExponent,
      long[] bins) {
    Objects.requireNonNull(name, "name");
    if (bins != null && bins.length != BINS) {
      throw new IllegalArgumentException(
          "tensor '" + name + "': expected " + BINS + " bins, found " + bins.length);
    }
    return new TensorStatistics(
        name,
        samples,
        ValueAccumulator.restore(count, min, max, negativeExponent, positiveExponent, bins));
  }

  /** Returns the exponent of the negative half's range (for {@link StatisticsCodec}). */
  int negativeExponent() {
    return values.negativeExponent();
  }

  /** Returns the exponent of the positive half's range (for {@link StatisticsCodec}). */
  int positiveExponent() {
    return values.positiveExponent();
  }

  /** Returns the bins at each half's own exponent, not copied (for {@link StatisticsCodec}); null without a histogram. */
  long[] rawBins() {
    return values.rawBins();
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
    return values.count();
  }

  /** Returns the smallest value seen ({@code +Infinity} before any). */
  public float min() {
    return values.min();
  }

  /** Returns the largest value seen ({@code -Infinity} before any). */
  public float max() {
    return values.max();
  }

  /** Returns whether a histogram is kept. */
  public boolean hasHistogram() {
    return values.rawBins() != null;
  }

  /** Returns {@code R}: the histogram covers {@code [-R, R)}. */
  public double histogramLimit() {
    return values.histogramLimit();
  }

  /** Returns the bin width of statistics whose largest magnitude is {@code absMax}. */
  public static double binWidthFor(float absMax) {
    return ValueAccumulator.binWidthFor(absMax);
  }

  /** Returns the width of one histogram bin. */
  public double binWidth() {
    return values.binWidth();
  }

  /** Returns a copy of the {@value #BINS} bin counts over {@code [-R, R)}. */
  public long[] histogram() {
    requireHistogram();
    return values.histogram();
  }

  /**
   * Returns the histogram of absolute values: {@code BINS/2} bins of width {@link #binWidth()}
   * over {@code [0, R)}, bin {@code j} holding the two bins at distance {@code j} from zero.
   */
  public long[] absHistogram() {
    requireHistogram();
    return values.absHistogram();
  }

  private void requireHistogram() {
    if (!hasHistogram()) {
      throw new IllegalStateException(
          "tensor '" + name + "': statistics were collected without a histogram (minmax only)");
    }
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof TensorStatistics t
        && name.equals(t.name)
        && samples == t.samples
        && count() == t.count()
        && Float.compare(min(), t.min()) == 0
        && Float.compare(max(), t.max()) == 0
        && negativeExponent() == t.negativeExponent()
        && positiveExponent() == t.positiveExponent()
        && Arrays.equals(rawBins(), t.rawBins());
  }

  @Override
  public int hashCode() {
    return Objects.hash(
                name, samples, count(), min(), max(), negativeExponent(), positiveExponent())
            * 31
        + Arrays.hashCode(rawBins());
  }

  @Override
  public String toString() {
    return "TensorStatistics["
        + name
        + ": "
        + samples
        + " samples, "
        + count()
        + " values in ["
        + min()
        + ", "
        + max()
        + "]"
        + (rawBins() == null
            ? ""
            : ", histogram over [-2^" + negativeExponent() + ", 2^" + positiveExponent() + ")")
        + "]";
  }
}
