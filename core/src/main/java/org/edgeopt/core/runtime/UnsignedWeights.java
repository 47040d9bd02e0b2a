package org.edgeopt.core.runtime;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.edgeopt.core.graph.DataType;
import org.edgeopt.core.graph.Graph;
import org.edgeopt.core.graph.GraphBuilder;
import org.edgeopt.core.graph.Node;
import org.edgeopt.core.graph.Tensor;

/**
 * Rewrites the int8 weights of already-fused integer operators to uint8 ({@code w + 128}, zero
 * point {@code + 128}), so that ONNX Runtime runs them on its exact U8U8 kernels instead of the
 * pair-saturating U8S8 ones: {@code (w + 128) - (zp + 128) = w - zp}, the same model.
 *
 * <p>ONNX Runtime does this itself under {@code session.x64quantprecision}, but only in its
 * extended optimizer; a session at a lower level (the per-layer diagnosis runs models as written)
 * would otherwise compute a pre-fused model ({@code QLinearConv}, as {@code edgeopt compile}
 * writes) with the host's saturating kernels.
 */
final class UnsignedWeights {
  /** Op type to the input indexes of its weight and of the weight's zero point. */
  private static final Map<String, int[]> WEIGHTS =
      Map.of(
          "QLinearConv", new int[] {3, 5},
          "QLinearMatMul", new int[] {3, 5},
          "ConvInteger", new int[] {1, 3},
          "MatMulInteger", new int[] {1, 3},
          "QGemm", new int[] {3, 5});

  private UnsignedWeights() {}

  /** Returns whether the graph has a fused integer operator with an int8 weight initializer. */
  static boolean applies(Graph g) {
    for (Node n : g.nodes()) {
      int[] at = WEIGHTS.get(n.opType());
      if (at != null
          && n.inputs().size() > at[0]
          && g.initializer(n.input(at[0])).map(t -> t.dataType() == DataType.INT8).orElse(false)) {
        return true;
      }
    }
    return false;
  }

  /** Returns the graph with every such weight (and its zero point) shifted to uint8. */
  static Graph apply(Graph g) {
    GraphBuilder b = g.toBuilder();
    Map<String, String> renamed = new HashMap<>();
    for (Node n : g.nodes()) {
      int[] at = WEIGHTS.get(n.opType());
      if (at == null || n.inputs().size() <= at[0]) {
        continue;
      }
      Tensor w = g.initializer(n.input(at[0])).orElse(null);
      if (w == null || w.dataType() != DataType.INT8) {
        continue;
      }
      String[] inputs = n.inputs().toArray(new String[Math.max(n.inputs().size(), at[1] + 1)]);
      for (int i = 0; i < inputs.length; i++) {
        inputs[i] = inputs[i] == null ? "" : inputs[i];
      }
      inputs[at[0]] = shifted(g, b, renamed, w.name(), w.dims());
      String zp = inputs[at[1]];
      if (zp.isEmpty()) {
        // An absent zero point is 0: as uint8 it becomes 128.
        String name = b.uniqueName(w.name() + "_zero_point_u8");
        b.addInitializer(
            Tensor.ofBytes(name, DataType.UINT8, new long[0], new byte[] {(byte) 128}));
        inputs[at[1]] = name;
      } else {
        Tensor z = g.initializer(zp).orElse(null);
        if (z == null || z.dataType() != DataType.INT8) {
          return g; // a computed or unsigned zero point: leave the model as it is
        }
        inputs[at[1]] = shifted(g, b, renamed, zp, z.dims());
      }
      b.replaceNode(n.withInputs(List.of(inputs)));
    }
    return b.removeUnused().build();
  }

  private static String shifted(
      Graph g, GraphBuilder b, Map<String, String> renamed, String name, long[] dims) {
    String done = renamed.get(name);
    if (done != null) {
      return done;
    }
    float[] v = g.initializer(name).orElseThrow().toFloats();
    byte[] u = new byte[v.length];
    for (int i = 0; i < v.length; i++) {
      u[i] = (byte) ((int) v[i] + 128);
    }
    String out = b.uniqueName(name + "_u8");
    b.addInitializer(Tensor.ofBytes(out, DataType.UINT8, dims, u));
    renamed.put(name, out);
    return out;
  }
}
