package org.edgeopt.quantize;

import java.util.Locale;
import org.edgeopt.core.EdgeoptException;

/** The numeric precisions the quantizer produces. */
public enum Precision {
  /** Static INT8 in QDQ form: int8 weights per channel, int8 or uint8 activations, int32 biases. */
  INT8,
  /** Half precision weights and activations. */
  FP16;

  /** Returns the lower-case name used on the command line and in reports ({@code int8}, {@code fp16}). */
  public String id() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** Parses {@code int8} or {@code fp16}, in any case. */
  public static Precision parse(String text) throws EdgeoptException {
    for (Precision p : values()) {
      if (p.id().equalsIgnoreCase(text == null ? "" : text.strip())) {
        return p;
      }
    }
    throw EdgeoptException.invalid("unknown precision '" + text + "': expected int8 or fp16");
  }
}
