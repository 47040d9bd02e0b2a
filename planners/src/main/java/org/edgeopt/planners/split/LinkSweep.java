package org.edgeopt.planners.split;

import java.util.ArrayList;
import java.util.List;

/**
 * The best cut as a function of uplink bandwidth, for one encoding and round-trip time.
 *
 * <p>Each cut's latency is a line in the seconds-per-bit {@code x = 1/bandwidth}:
 * {@code fixed + bits * x}. The best cut at every bandwidth is the lower envelope of these lines,
 * walked here from infinite bandwidth ({@code x = 0}) downwards: from the current line, the next
 * one is the sending-fewer-bits line it meets first. Where two lines meet is a break-even bandwidth.
 */
public final class LinkSweep {
  /** A bandwidth at which the best cut changes: above it {@code faster} wins, below it {@code slower}. */
  public record BreakEven(double bitsPerSecond, int faster, int slower) {}

  private final List<Integer> segments;
  private final List<BreakEven> breakEvens;

  private LinkSweep(List<Integer> segments, List<BreakEven> breakEvens) {
    this.segments = List.copyOf(segments);
    this.breakEvens = List.copyOf(breakEvens);
  }

  /**
   * Computes the envelope over {@code costs} (indices into that list are returned); cuts whose bytes
   * in {@code e} are unknown are left out.
   */
  public static LinkSweep of(List<CutCost> costs, Encoding e, double rttSeconds) {
    int n = costs.size();
    double[] fixed = new double[n];
    double[] bits = new double[n];
    boolean[] usable = new boolean[n];
    int first = -1;
    for (int i = 0; i < n; i++) {
      CutCost c = costs.get(i);
      double b = c.crosses() ? c.bytes(e) : 0;
      usable[i] = !Double.isNaN(b);
      fixed[i] = c.edgeSeconds() + c.serverSeconds() + (c.crosses() ? rttSeconds : 0);
      bits[i] = b * 8;
      if (usable[i]
          && (first < 0
              || fixed[i] < fixed[first]
              || (fixed[i] == fixed[first] && bits[i] < bits[first]))) {
        first = i;
      }
    }
    List<Integer> seg = new ArrayList<>();
    List<BreakEven> be = new ArrayList<>();
    if (first < 0) {
      return new LinkSweep(seg, be);
    }
    int cur = first;
    double x = 0;
    seg.add(cur);
    while (true) {
      int next = -1;
      double nextX = Double.POSITIVE_INFINITY;
      for (int j = 0; j < n; j++) {
        if (!usable[j] || bits[j] >= bits[cur]) {
          continue;
        }
        double xj = (fixed[j] - fixed[cur]) / (bits[cur] - bits[j]);
        xj = Math.max(xj, x);
        if (xj < nextX || (xj == nextX && next >= 0 && bits[j] < bits[next])) {
          nextX = xj;
          next = j;
        }
      }
      if (next < 0) {
        break;
      }
      be.add(new BreakEven(nextX == 0 ? Double.POSITIVE_INFINITY : 1 / nextX, cur, next));
      seg.add(next);
      cur = next;
      x = nextX;
    }
    return new LinkSweep(seg, be);
  }

  /** Returns the index of the best cut at {@code bitsPerSecond}: ties go to the cut that sends less. */
  public int best(double bitsPerSecond) {
    int at = segments.get(0);
    for (BreakEven b : breakEvens) {
      if (bitsPerSecond <= b.bitsPerSecond()) {
        at = b.slower();
      }
    }
    return at;
  }

  /** Returns this sweep with every cut index {@code i} replaced by {@code index.get(i)}. */
  public LinkSweep remapped(List<Integer> index) {
    List<Integer> seg = new ArrayList<>();
    segments.forEach(i -> seg.add(index.get(i)));
    List<BreakEven> be = new ArrayList<>();
    breakEvens.forEach(
        b ->
            be.add(new BreakEven(b.bitsPerSecond(), index.get(b.faster()), index.get(b.slower()))));
    return new LinkSweep(seg, be);
  }

  /** Returns the cuts on the envelope, from the fastest link to the slowest. */
  public List<Integer> segments() {
    return segments;
  }

  /** Returns the break-even bandwidths, from the fastest link to the slowest. */
  public List<BreakEven> breakEvens() {
    return breakEvens;
  }
}
