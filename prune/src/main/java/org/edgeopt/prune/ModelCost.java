package org.edgeopt.prune;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import org.edgeopt.core.EdgeoptException;
import org.edgeopt.core.graph.Graph;
import org.edgeopt.core.graph.Node;
import org.edgeopt.core.graph.Shape;
import org.edgeopt.core.graph.Tensor;
import org.edgeopt.core.onnx.OnnxChecker;

/**
 * The compute and size of a model for one sample: multiply-accumulates of its convolution and
 * matrix layers (elementwise work is left out: it is small and not what pruning changes), and its
 * parameters.
 *
 * @param macs multiply-accumulates per sample (batch dimensions counted as 1)
 * @param parameters elements of all initializers
 * @param nonZeroParameters elements of all initializers that are not zero
 * @param layerMacs the MACs of each weighted layer, by node name, in graph order
 */
public record ModelCost(long macs, long parameters, long nonZeroParameters, Map<String, Long> layerMacs) {
  public ModelCost {
    layerMacs = Collections.unmodifiableMap(new LinkedHashMap<>(layerMacs));
  }

  private static final java.util.Set<org.edgeopt.core.graph.DataType> NUMERIC = java.util.EnumSet.of(
      org.edgeopt.core.graph.DataType.FLOAT, org.edgeopt.core.graph.DataType.FLOAT16, org.edgeopt.core.graph.DataType.DOUBLE,
      org.edgeopt.core.graph.DataType.INT8, org.edgeopt.core.graph.DataType.UINT8, org.edgeopt.core.graph.DataType.INT16,
      org.edgeopt.core.graph.DataType.INT32, org.edgeopt.core.graph.DataType.INT64, org.edgeopt.core.graph.DataType.BOOL);

  /** Measures {@code g}; shapes are inferred by the ONNX shape inference. */
  public static ModelCost of(Graph g, String where) throws EdgeoptException {
    Graph typed = OnnxChecker.inferShapes(g.toBuilder().clearValueInfo().build(), where);
    Map<String, Long> layers = new LinkedHashMap<>();
    long total = 0;
    for (Node n : typed.nodes()) {
      long m = macs(typed, n);
      if (m > 0) {
        layers.put(n.name(), m);
        total += m;
      }
    }
    long params = 0;
    long nonZero = 0;
    for (Tensor t : g.initializers().values()) {
      params += t.elementCount();
      if (NUMERIC.contains(t.dataType())) {
        for (float v : t.toFloats()) {
          if (v != 0f) {
            nonZero++;
          }
        }
      }
    }
    return new ModelCost(total, params, nonZero, layers);
  }

  private static long macs(Graph g, Node n) {
    if (!n.domain().isEmpty()) {
      return 0;
    }
    switch (n.opType()) {
      case "Conv" -> {
        Tensor w = g.initializers().get(n.input(1));
        long[] out = sizes(g, n.output());
        if (w == null || out == null) {
          return 0;
        }
        long perOutput = 1;
        for (int i = 1; i < w.rank(); i++) {
          perOutput *= w.dim(i);
        }
        return elements(out) * perOutput;
      }
      case "ConvTranspose" -> {
        Tensor w = g.initializers().get(n.input(1));
        long[] in = sizes(g, n.input(0));
        if (w == null || in == null) {
          return 0;
        }
        long perInput = 1;
        for (int i = 1; i < w.rank(); i++) {
          perInput *= w.dim(i);
        }
        return elements(in) * perInput;
      }
      case "Gemm", "MatMul" -> {
        long[] a = sizes(g, n.input(0));
        long[] out = sizes(g, n.output());
        if (a == null || out == null || a.length == 0) {
          return 0;
        }
        long k = n.opType().equals("Gemm") && n.intAttr("transA", 0) == 1 ? a[0] : a[a.length - 1];
        return elements(out) * k;
      }
      default -> {
        return 0;
      }
    }
  }

  private static long[] sizes(Graph g, String value) {
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

  private static long elements(long[] d) {
    long n = 1;
    for (long x : d) {
      n *= x;
    }
    return n;
  }

  /**
   * Returns the MACs of {@code pruned}, a channel-pruned copy of the model these layer MACs were
   * measured on, without shape inference: pruning channels leaves every spatial size as it was, so
   * each layer's MACs scale with its weight's element count.
   */
  long macsOfChannelPruned(Graph original, Graph pruned) {
    long total = 0;
    for (Map.Entry<String, Long> e : layerMacs.entrySet()) {
      Node a = original.node(e.getKey()).orElse(null);
      Node b = pruned.node(e.getKey()).orElse(null);
      Tensor wa = a == null ? null : original.initializers().get(a.input(1));
      Tensor wb = b == null ? null : pruned.initializers().get(b.input(1));
      if (wa == null || wb == null || wa.elementCount() == 0) {
        total += e.getValue();
      } else {
        total += Math.round(e.getValue() * (double) wb.elementCount() / wa.elementCount());
      }
    }
    return total;
  }

  /** Returns the fraction of MACs {@code after} saves relative to this cost, in [0, 1]. */
  public double macReduction(ModelCost after) {
    return macs == 0 ? 0 : 1.0 - (double) after.macs / macs;
  }
}
