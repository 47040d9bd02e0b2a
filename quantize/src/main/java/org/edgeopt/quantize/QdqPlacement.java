package org.edgeopt.quantize;

import java.util.Arrays;
import org.edgeopt.core.EdgeoptException;

/**
 * Where INT8 quantization puts QuantizeLinear/DequantizeLinear pairs, as a target profile's
 * {@code qdqPlacement} names it.
 */
public enum QdqPlacement {
  /**
   * Around the patterns ONNX Runtime fuses into integer kernels (Conv, MatMul/Gemm, Add/Mul,
   * Concat, average pooling, and the data-movement ops between them); operators outside them stay
   * float, since a CPU runs them faster in float than behind a QuantizeLinear/DequantizeLinear
   * pair.
   */
  RUNTIME_PATTERNS("runtime-patterns"),

  /**
   * Every float activation tensor read or written by an operator gets a pair, graph inputs and
   * outputs and the operators ONNX Runtime has no integer kernel for included, with parameters
   * the integer kernels of a fully int8 converter take (data movement and pooling keep their
   * input's, Softmax writes scale 1/256): for a device with no float kernels, such as the Edge TPU.
   */
  FULLY_INT8("fully-int8");

  private final String id;

  QdqPlacement(String id) {
    this.id = id;
  }

  /** Returns the name target profiles and reports write. */
  public String id() {
    return id;
  }

  /**
   * Returns the placement a profile's {@code qdqPlacement} names; empty means
   * {@link #RUNTIME_PATTERNS}.
   *
   * @param where names the profile in errors
   */
  public static QdqPlacement parse(String id, String where) throws EdgeoptException {
    if (id == null || id.isEmpty()) {
      return RUNTIME_PATTERNS;
    }
    for (QdqPlacement p : values()) {
      if (p.id.equals(id)) {
        return p;
      }
    }
    throw EdgeoptException.invalid(
        where
            + ": expected qdqPlacement "
            + String.join(" or ", Arrays.stream(values()).map(QdqPlacement::id).toList())
            + ", found '"
            + id
            + "'");
  }
}
