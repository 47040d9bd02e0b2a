package org.edgeopt.deploy;

import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;

/**
 * Latencies in fixed log-spaced bins (each 5% wider than the last, 0.01 ms to about 3 minutes),
 * so percentiles of millions of inferences come from a few hundred counters; a percentile is
 * read off as its bin's geometric centre, within 2.5% of the true value.
 */
public final class LatencyHistogram {
  private static final double MIN_MS = 0.01;
  private static final double RATIO = 1.05;
  private static final double LOG_RATIO = Math.log(RATIO);

  /** The number of bins. */
  static final int BINS = 350;

  private final long[] counts = new long[BINS];
  private long total;

  /** Adds one latency. */
  public void add(double ms) {
    int b = ms <= MIN_MS ? 0 : (int) (Math.log(ms / MIN_MS) / LOG_RATIO);
    counts[Math.min(BINS - 1, b)]++;
    total++;
  }

  /** Adds every latency of {@code other}. */
  public void merge(LatencyHistogram other) {
    for (int i = 0; i < BINS; i++) {
      counts[i] += other.counts[i];
    }
    total += other.total;
  }

  /** Returns the number of latencies. */
  public long count() {
    return total;
  }

  /** Returns the {@code p}-th percentile (0..100, nearest rank), or NaN when empty. */
  public double percentile(double p) {
    if (total == 0) {
      return Double.NaN;
    }
    long rank = Math.max(1, (long) Math.ceil(p / 100.0 * total));
    long seen = 0;
    for (int i = 0; i < BINS; i++) {
      seen += counts[i];
      if (seen >= rank) {
        return MIN_MS * Math.pow(RATIO, i + 0.5);
      }
    }
    return MIN_MS * Math.pow(RATIO, BINS - 0.5);
  }

  /** Writes the non-empty bins, as their count then (index, count) pairs. */
  void write(DataOutput out) throws IOException {
    int nonEmpty = 0;
    for (long c : counts) {
      nonEmpty += c != 0 ? 1 : 0;
    }
    out.writeShort(nonEmpty);
    for (int i = 0; i < BINS; i++) {
      if (counts[i] != 0) {
        out.writeShort(i);
        out.writeLong(counts[i]);
      }
    }
  }

  /** Adds what {@link #write} wrote to this (empty) histogram. */
  void readInto(DataInput in) throws IOException {
    int nonEmpty = in.readShort();
    for (int n = 0; n < nonEmpty; n++) {
      int i = in.readShort();
      if (i < 0 || i >= BINS) {
        throw new IOException("latency bin " + i + ": expected 0.." + (BINS - 1));
      }
      long c = in.readLong();
      counts[i] += c;
      total += c;
    }
  }
}
