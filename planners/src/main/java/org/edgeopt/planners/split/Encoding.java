package org.edgeopt.planners.split;

/**
 * How the cut tensors are sent: the wire format, optionally entropy-coded with zstd.
 *
 * @param format the element type on the wire
 * @param zstd whether the bytes are zstd-compressed (sizes then measured on real samples)
 */
public record Encoding(WireFormat format, boolean zstd) {

  /** Returns the id used in tables and JSON: {@code fp32}, {@code int8+zstd}. */
  public String id() {
    return format.id() + (zstd ? "+zstd" : "");
  }
}
