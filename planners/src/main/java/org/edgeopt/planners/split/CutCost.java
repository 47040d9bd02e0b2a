package org.edgeopt.planners.split;

import java.util.Map;

/**
 * The costs of one cut: modelled compute on each side, bytes on the wire per encoding, and what
 * the edge must hold.
 *
 * @param cut the cut
 * @param elements the elements of the cut tensors at batch 1
 * @param edgeSeconds the edge part's time for one input
 * @param serverSeconds the server part's time for one input
 * @param edgeWeightBytes the weights the edge part holds, in bytes
 * @param bytes the bytes sent per input, by encoding id (raw sizes exact, zstd sizes measured means)
 */
public record CutCost(
    Cut cut,
    long elements,
    double edgeSeconds,
    double serverSeconds,
    long edgeWeightBytes,
    Map<String, Double> bytes) {

  public CutCost {
    bytes = Map.copyOf(bytes);
  }

  /** Returns the bytes sent per input in {@code e}, or NaN when not measured. */
  public double bytes(Encoding e) {
    return bytes.getOrDefault(e.id(), Double.NaN);
  }

  /** Returns whether anything crosses the link. */
  public boolean crosses() {
    return !cut.edgeOnly();
  }

  /** Returns the link time for one input. */
  public double linkSeconds(Encoding e, Link link) {
    return link.transferSeconds(crosses() ? bytes(e) : 0, crosses());
  }

  /** Returns the modelled end-to-end latency for one input. */
  public double totalSeconds(Encoding e, Link link) {
    return edgeSeconds + linkSeconds(e, link) + serverSeconds;
  }
}
