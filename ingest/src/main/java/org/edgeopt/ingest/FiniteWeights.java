package org.edgeopt.ingest;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.edgeopt.core.EdgeoptException;
import org.edgeopt.core.graph.Attribute;
import org.edgeopt.core.graph.Graph;
import org.edgeopt.core.graph.Node;
import org.edgeopt.core.graph.Tensor;

/**
 * Refuses a model whose floating-point weights hold NaN or infinity: such a file comes from a
 * diverged training run or is corrupt, and every later stage would carry the damage silently.
 */
final class FiniteWeights {
  private FiniteWeights() {}

  /**
   * Checks every initializer and every {@code Constant} node's tensor.
   *
   * @throws EdgeoptException (exit 3) naming the first tensor and element that is not finite
   */
  static void require(Graph g, String where) throws EdgeoptException {
    List<Tensor> tensors = new ArrayList<>(g.initializers().values());
    List<String> kinds = new ArrayList<>();
    tensors.forEach(t -> kinds.add("initializer '" + t.name() + "'"));
    for (Node n : g.nodes()) {
      for (Attribute a : n.attributes().values()) {
        if (a.kind() == Attribute.Kind.TENSOR) {
          tensors.add(a.asTensor());
          kinds.add("attribute '" + a.name() + "' of node '" + n.name() + "' (" + n.opType() + ")");
        }
      }
    }
    for (int i = 0; i < tensors.size(); i++) {
      Tensor t = tensors.get(i);
      long bad = firstNonFinite(t);
      if (bad >= 0) {
        throw EdgeoptException.invalid(
            where
                + ": "
                + kinds.get(i)
                + " holds a NaN or infinite value at element "
                + bad
                + " of "
                + t.elementCount()
                + ": expected finite weights (the file is corrupt or was exported from a "
                + "diverged training run)");
      }
    }
  }

  /** Returns the index of the first NaN or infinite element of a floating-point tensor, or -1. */
  static long firstNonFinite(Tensor t) {
    if (!t.dataType().isFloat()) {
      return -1;
    }
    ByteBuffer b = t.data();
    long n = t.elementCount();
    for (int i = 0; i < n; i++) {
      boolean finite =
          switch (t.dataType()) {
            case FLOAT -> Float.isFinite(b.getFloat());
            case DOUBLE -> Double.isFinite(b.getDouble());
            // Half and bfloat16 values are infinite or NaN exactly when every exponent bit is set.
            case FLOAT16 -> (b.getShort() & 0x7C00) != 0x7C00;
            case BFLOAT16 -> (b.getShort() & 0x7F80) != 0x7F80;
            default -> true;
          };
      if (!finite) {
        return i;
      }
    }
    return -1;
  }
}
