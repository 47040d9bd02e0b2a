package org.edgeopt.prune;

/**
 * The per-channel mean and variance of one tensor over a data set (channels on axis 1; for a
 * rank-2 tensor, its features).
 *
 * @param mean the mean of each channel
 * @param variance the population variance of each channel
 * @param count how many values each channel's statistics cover
 */
public record ChannelStatistics(float[] mean, float[] variance, long count) {
  public ChannelStatistics {
    mean = mean.clone();
    variance = variance.clone();
  }

  @Override
  public float[] mean() {
    return mean.clone();
  }

  @Override
  public float[] variance() {
    return variance.clone();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ChannelStatistics s
        && count == s.count
        && java.util.Arrays.equals(mean, s.mean)
        && java.util.Arrays.equals(variance, s.variance);
  }

  @Override
  public int hashCode() {
    return java.util.Arrays.hashCode(mean) * 31 + Long.hashCode(count);
  }

  @Override
  public String toString() {
    return "ChannelStatistics[" + mean.length + " channels over " + count + " values each]";
  }
}
