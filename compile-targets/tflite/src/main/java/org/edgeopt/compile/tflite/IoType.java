package org.edgeopt.compile.tflite;

import java.util.Locale;
import org.edgeopt.core.EdgeoptException;

/** The element type of a lowered model's inputs and outputs ({@code --io-type}). */
public enum IoType {
  /** int8 inputs and outputs, the same type as inside the model. */
  INT8,
  /** uint8 inputs and outputs, converted to and from int8 by QUANTIZE operators at the boundary. */
  UINT8;

  /** Returns the option spelling, {@code int8} or {@code uint8}. */
  public String id() {
    return name().toLowerCase(Locale.ROOT);
  }

  /**
   * Returns the I/O type named {@code s} ({@code int8} or {@code uint8}, default int8 when null).
   *
   * @throws EdgeoptException (exit 3) for any other value
   */
  public static IoType parse(String s) throws EdgeoptException {
    if (s == null || s.isBlank()) {
      return INT8;
    }
    for (IoType t : values()) {
      if (t.id().equals(s.strip().toLowerCase(Locale.ROOT))) {
        return t;
      }
    }
    throw EdgeoptException.invalid("io-type: expected int8 or uint8, found '" + s + "'");
  }
}
