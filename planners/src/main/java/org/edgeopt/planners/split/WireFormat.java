package org.edgeopt.planners.split;

import java.util.Locale;
import org.edgeopt.core.EdgeoptException;
import org.edgeopt.core.graph.DataType;

/** How the tensors at a cut travel over the link: the element type on the wire. */
public enum WireFormat {
  /** As computed: 4 bytes an element, bit-exact. */
  FP32(DataType.FLOAT),
  /** IEEE half precision: 2 bytes an element. */
  FP16(DataType.FLOAT16),
  /** Per-tensor asymmetric int8 with the calibrated range: 1 byte an element plus scale and zero point. */
  INT8(DataType.INT8);

  /** The bytes each int8 tensor adds for its float32 scale and its zero point (sent once per tensor). */
  public static final int INT8_PARAMETER_BYTES = 5;

  private final DataType dataType;

  WireFormat(DataType dataType) {
    this.dataType = dataType;
  }

  /** Returns the element type on the wire. */
  public DataType dataType() {
    return dataType;
  }

  /** Returns the bytes that {@code elements} elements of one tensor take on the wire. */
  public long bytes(long elements) {
    return elements * dataType.byteSize() + (this == INT8 ? INT8_PARAMETER_BYTES : 0);
  }

  /** Returns the lower-case id used on the command line and in JSON. */
  public String id() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** Parses {@code fp32}, {@code fp16} or {@code int8}. */
  public static WireFormat parse(String s) throws EdgeoptException {
    for (WireFormat w : values()) {
      if (w.id().equalsIgnoreCase(s.trim())) {
        return w;
      }
    }
    throw EdgeoptException.invalid("--wire: expected fp32, fp16 or int8, found '" + s + "'");
  }
}
