package org.edgeopt.quantize;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.edgeopt.core.graph.DataType;
import org.edgeopt.core.graph.Graph;
import org.edgeopt.core.graph.Node;
import org.edgeopt.core.graph.Tensor;
import org.edgeopt.core.quant.CalibrationTable;
import org.edgeopt.core.quant.TensorRange;

/**
 * Finds the Conv pairs {@link CrossLayerEqualization} may rescale, and says why each other
 * structurally matching pair is skipped: shared initializers, channel counts that do not line
 * up, and Clip bounds a per-channel scale would have to move.
 */
final class EqualizationPairs {
  private EqualizationPairs() {}

  /**
   * A pair to equalize: the first Conv, what stands between, the Convs that read it, and
   * {@code lowerBound}, the least total scale a Clip bound allows.
   */
  record Pair(Node first, List<Node> between, List<Node> seconds, double lowerBound) {}

  /**
   * What may stand between the two Convs: each commutes with a positive per-channel scale
   * ({@code f(x / s) = f(x) / s}): ReLU, Clip(0, no bound), and max pooling.
   */
  private static final Set<String> BETWEEN = java.util.Set.of("Relu", "Clip", "MaxPool");

  /** The pairs to equalize and the pairs skipped, in graph order. */
  record Found(List<Pair> pairs, List<CrossLayerEqualization.SkippedPair> skipped) {}

  /**
   * Returns every Conv -> (Relu | Clip(0, max) | MaxPool)* -> Conv pair of {@code g}.
   *
   * @param table the calibrated ranges, to tell whether a Clip bound is ever reached; may be
   *     null unless {@code equalizeUnreachedClips}
   */
  static Found find(Graph g, CalibrationTable table, boolean equalizeUnreachedClips) {
    Map<String, List<Node>> consumers = g.consumers();
    Map<String, Integer> readers = new HashMap<>();
    consumers.forEach((k, v) -> readers.put(k, v.size()));
    List<Pair> pairs = new ArrayList<>();
    List<CrossLayerEqualization.SkippedPair> skipped = new ArrayList<>();
    for (Node first : g.nodes()) {
      if (!isConv(first) || floatWeights(g, first.input(1)) == null) {
        continue;
      }
      List<Node> between = new ArrayList<>();
      String mid = first.output();
      Node next = sole(g, consumers, mid);
      while (next != null && next.domain().isEmpty() && BETWEEN.contains(next.opType())) {
        between.add(next);
        mid = next.output();
        next = sole(g, consumers, mid);
      }
      // The tensor may feed several Convs (a fire module's squeeze feeds two expands): all scale
      // alike.
      String in = mid;
      List<Node> seconds = consumers.getOrDefault(mid, List.of());
      if (seconds.isEmpty()
          || g.isOutput(mid)
          || !seconds.stream()
              .allMatch(
                  n ->
                      isConv(n)
                          && n.input(0).equals(in)
                          && !n.input(1).equals(in)
                          && floatWeights(g, n.input(1)) != null)) {
        continue;
      }
      String secondNames = String.join(", ", seconds.stream().map(Node::name).toList());
      String why = null;
      for (Node second : seconds) {
        why = why != null ? why : unsupported(g, readers, first, between, second);
      }
      double lowerBound = 0;
      for (Node act : between) {
        if (why == null && act.opType().equals("Clip")) {
          // Only a Clip right after the first layer reads the range the table names.
          Object clip =
              act == between.get(0)
                  ? clipRule(g, table, first, act, equalizeUnreachedClips)
                  : "Clip '" + act.name() + "' is not right after the first Conv";
          if (clip instanceof String s) {
            why = s;
          } else {
            lowerBound = Math.max(lowerBound, (Double) clip);
          }
        }
      }
      if (why != null) {
        skipped.add(new CrossLayerEqualization.SkippedPair(first.name(), secondNames, why));
      } else {
        pairs.add(new Pair(first, between, seconds, lowerBound));
      }
    }
    return new Found(pairs, skipped);
  }

  static int channels(Graph g, Node conv) {
    return (int) g.initializers().get(conv.input(1)).dim(0);
  }

  private static boolean isConv(Node n) {
    return n.opType().equals("Conv") && n.domain().isEmpty();
  }

  private static Tensor floatWeights(Graph g, String name) {
    Tensor t = name.isEmpty() ? null : g.initializers().get(name);
    return t != null && t.dataType() == DataType.FLOAT && t.rank() >= 3 ? t : null;
  }

  private static Node sole(Graph g, Map<String, List<Node>> consumers, String value) {
    List<Node> c = consumers.getOrDefault(value, List.of());
    return c.size() == 1 && !g.isOutput(value) ? c.get(0) : null;
  }

  /** Returns why a structurally matching pair cannot be rescaled safely, or null when it can. */
  private static String unsupported(
      Graph g, Map<String, Integer> readers, Node first, List<Node> between, Node second) {
    for (String t : new String[] {first.input(1), first.input(2), second.input(1)}) {
      if (!t.isEmpty() && readers.getOrDefault(t, 0) != 1) {
        return "initializer '" + t + "' is shared with another node";
      }
    }
    if (!first.input(2).isEmpty() && floatBias(g, first.input(2), channels(g, first)) == null) {
      return "the bias of the first Conv is not a float initializer of one value per channel";
    }
    long[] d2 = g.initializers().get(second.input(1)).dims();
    long groups = second.intAttr("group", 1);
    if (d2[1] * groups != channels(g, first) || d2[0] % groups != 0) {
      return "the second Conv reads "
          + d2[1] * groups
          + " channels, the first writes "
          + channels(g, first);
    }
    for (Node act : between) {
      if (act.opType().equals("Clip")) {
        Float lo = clipBound(g, act, 1);
        if (lo == null || lo != 0f) {
          return "Clip '"
              + act.name()
              + "' has a lower bound "
              + (lo == null ? "that is not a constant" : lo)
              + ", not 0, so it is not positively homogeneous";
        }
      }
    }
    return null;
  }

  private static Tensor floatBias(Graph g, String name, int channels) {
    Tensor t = g.initializers().get(name);
    return t != null && t.dataType() == DataType.FLOAT && t.elementCount() == channels ? t : null;
  }

  /**
   * Returns the least total scale a Clip(0, max) allows (0 when unbounded), or why the pair must
   * be skipped.
   */
  private static Object clipRule(
      Graph g, CalibrationTable table, Node first, Node clip, boolean unreached) {
    Float hi =
        clip.input(2).isEmpty() ? Float.valueOf(Float.POSITIVE_INFINITY) : clipBound(g, clip, 2);
    if (hi == null) {
      return "Clip '" + clip.name() + "' has an upper bound that is not a constant";
    }
    if (hi == Float.POSITIVE_INFINITY) {
      return 0.0;
    }
    if (!unreached) {
      return "Clip '"
          + clip.name()
          + "' bounds at "
          + hi
          + " and ONNX Clip takes no per-channel bound";
    }
    TensorRange r = table == null ? null : table.range(first.output());
    if (r == null) {
      return "Clip '"
          + clip.name()
          + "' bounds at "
          + hi
          + " and no calibrated range of '"
          + first.output()
          + "' shows it is never reached (ONNX Clip takes no per-channel bound)";
    }
    if (r.observedMax() >= hi) {
      return String.format(
          Locale.ROOT,
          "Clip '%s' bounds at %s and the calibration data reaches it (largest value"
              + " %.4g); ONNX Clip takes no per-channel bound",
          clip.name(),
          hi,
          r.observedMax());
    }
    return Math.max(0, (double) r.observedMax() / hi);
  }

  /** Returns the constant Clip bound of input {@code slot} (1: min, 2: max), or null when it is not a constant. */
  private static Float clipBound(Graph g, Node clip, int slot) {
    if (clip.input(slot).isEmpty()) {
      return slot == 1 ? null : Float.POSITIVE_INFINITY;
    }
    Tensor t = g.initializers().get(clip.input(slot));
    return t == null || t.elementCount() != 1 ? null : t.toFloats()[0];
  }
}
