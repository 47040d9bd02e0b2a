package org.edgeopt.core.cost;

import java.util.HashSet;
import java.util.Set;
import org.edgeopt.core.graph.Graph;
import org.edgeopt.core.graph.Node;
import org.edgeopt.core.graph.Shape;
import org.edgeopt.core.graph.Tensor;
import org.edgeopt.core.graph.TensorType;

/**
 * Per-node costs at batch 1: multiply-accumulates, parameters, and tensor elements and bytes read
 * and written ({@link GraphCost} sums them over a model).
 *
 * <p>Shapes come from the graph's inferred value types; symbolic or unknown dimensions count as
 * 1, which is exact for the usual symbolic batch dimension at batch 1. This is edgeopt's one
 * cost model: the model card, the target coverage estimate, pruning, the planners and the search
 * all count with it, so their figures agree on the same model.
 */
public final class LayerCosts {
  private LayerCosts() {}

  /** Returns the dimensions of a value with unknown ones taken as 1, or null when its shape is unknown. */
  public static long[] sizes(Graph g, String value) {
    Shape s = g.shape(value).orElse(null);
    if (s == null) {
      return null;
    }
    long[] d = s.sizes();
    for (int i = 0; i < d.length; i++) {
      if (d[i] < 0) {
        d[i] = 1;
      }
    }
    return d;
  }

  /** Returns the element count of a value at batch 1, or 0 when its shape is unknown. */
  public static long elements(Graph g, String value) {
    long[] d = value.isEmpty() ? null : sizes(g, value);
    return d == null ? 0 : product(d, 0);
  }

  /** Returns the size in bytes of a value at batch 1, or 0 when its type or shape is unknown. */
  public static long bytes(Graph g, String value) {
    TensorType t = value.isEmpty() ? null : g.type(value).orElse(null);
    return t == null
        ? 0
        : saturatedProduct(elements(g, value), Math.max(1, t.dataType().byteSize()));
  }

  /**
   * Returns the multiply-accumulates of a node at batch 1: Conv {@code N*Cout*Hout*Wout*(Cin/group)*kH*kW}
   * (any spatial rank), ConvTranspose the same from the input side, Gemm and MatMul {@code M*N*K};
   * 0 for other operators or when a shape is unknown.
   */
  public static long macs(Graph g, Node n) {
    if (!n.domain().isEmpty() && !n.domain().equals("ai.onnx")) {
      return 0;
    }
    long[] out = n.outputs().isEmpty() ? null : sizes(g, n.output());
    switch (n.opType()) {
      case "Conv" -> {
        // Weights are [Cout, Cin/group, k...]; every output element reads (Cin/group)*prod(k) of
        // them.
        long[] w = sizes(g, n.input(1));
        return out == null || w == null ? 0 : product(out, 0) * product(w, 1);
      }
      case "ConvTranspose" -> {
        // Weights are [Cin, Cout/group, k...]; every input element is scattered through them.
        long[] in = sizes(g, n.input(0));
        long[] w = sizes(g, n.input(1));
        return in == null || w == null ? 0 : product(in, 0) * product(w, 1);
      }
      case "Gemm" -> {
        long[] a = sizes(g, n.input(0));
        if (out == null || a == null || a.length != 2) {
          return 0;
        }
        long k = n.intAttr("transA", 0) != 0 ? a[0] : a[1];
        return product(out, 0) * k;
      }
      case "MatMul" -> {
        long[] a = sizes(g, n.input(0));
        return out == null || a == null || a.length == 0 ? 0 : product(out, 0) * a[a.length - 1];
      }
      default -> {
        return 0;
      }
    }
  }

  /** Returns the elements a node reads (activations and weights) and writes, at batch 1. */
  public static long elementsMoved(Graph g, Node n) {
    long total = 0;
    for (String in : n.inputs()) {
      total += elements(g, in);
    }
    for (String o : n.outputs()) {
      total += elements(g, o);
    }
    return total;
  }

  /** Returns the bytes a node reads (activations and weights) and writes, at batch 1. */
  public static long bytesMoved(Graph g, Node n) {
    long total = 0;
    for (String in : n.inputs()) {
      total = saturatedSum(total, bytes(g, in));
    }
    for (String o : n.outputs()) {
      total = saturatedSum(total, bytes(g, o));
    }
    return total;
  }

  /**
   * Returns the elements of the initializers a node reads (its weights and biases); an initializer
   * read twice by the node counts once.
   */
  public static long parameters(Graph g, Node n) {
    long total = 0;
    Set<String> seen = new HashSet<>();
    for (String in : n.inputs()) {
      Tensor t = g.initializers().get(in);
      if (t != null && seen.add(in)) {
        total = saturatedSum(total, t.elementCount());
      }
    }
    return total;
  }

  /** Returns the product of {@code d[from..]}, saturating at {@link Long#MAX_VALUE}. */
  public static long product(long[] d, int from) {
    long p = 1;
    for (int i = from; i < d.length; i++) {
      p = saturatedProduct(p, d[i]);
    }
    return p;
  }

  /**
   * Returns {@code a * b} for non-negative factors, or {@link Long#MAX_VALUE} when it does not fit:
   * a declared shape can be absurd, and a wrapped product would make it look small.
   */
  public static long saturatedProduct(long a, long b) {
    long high = Math.multiplyHigh(a, b);
    long low = a * b;
    return high != 0 || low < 0 ? Long.MAX_VALUE : low;
  }

  /** Returns {@code a + b} for non-negative terms, or {@link Long#MAX_VALUE} when it does not fit. */
  public static long saturatedSum(long a, long b) {
    long s = a + b;
    return s < 0 ? Long.MAX_VALUE : s;
  }
}
