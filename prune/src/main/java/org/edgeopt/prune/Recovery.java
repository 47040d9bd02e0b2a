package org.edgeopt.prune;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.edgeopt.core.EdgeoptException;
import org.edgeopt.core.data.Dataset;
import org.edgeopt.core.graph.Graph;
import org.edgeopt.core.graph.GraphBuilder;
import org.edgeopt.core.graph.Node;
import org.edgeopt.core.graph.Tensor;

/**
 * Recovers accuracy after pruning without training, from calibration data: bias correction
 * (shift each layer's bias so its output channels keep the means they had before pruning) and
 * BatchNormalization re-estimation (replace the running statistics of every BN by those of its
 * input in the pruned model).
 */
public final class Recovery {
  private Recovery() {}

  /**
   * Returns the given nodes grouped by depth: a node's level is the number of listed nodes on
   * the longest path from the inputs to it, so one level only depends on earlier levels and one
   * measurement pass per level reaches the exact fixed point.
   */
  static List<List<Node>> levels(Graph g, java.util.Collection<String> names) {
    java.util.Set<String> wanted = new java.util.HashSet<>(names);
    Map<String, Integer> depth = new HashMap<>();
    Map<String, Node> producers = g.producers();
    Map<Integer, List<Node>> byLevel = new java.util.TreeMap<>();
    for (Node n : g.nodes()) {
      int d = 0;
      for (String in : n.inputs()) {
        Node p = producers.get(in);
        if (p != null) {
          d = Math.max(d, depth.getOrDefault(p.output(), 0));
        }
      }
      boolean listed = wanted.contains(n.name());
      if (listed) {
        byLevel.computeIfAbsent(d, k -> new ArrayList<>()).add(n);
      }
      int out = listed ? d + 1 : d;
      n.outputs().forEach(o -> depth.put(o, out));
    }
    return new ArrayList<>(byLevel.values());
  }

  /**
   * Returns {@code pruned} with the biases of {@code layers} corrected towards {@code original}'s
   * output means, level by level from the input.
   *
   * @param keptChannels for channel-pruned layers, the original index of each remaining output
   *     channel, by layer name (absent: channels unchanged)
   */
  public static Graph biasCorrection(
      Graph original,
      Graph pruned,
      List<String> layers,
      Map<String, int[]> keptChannels,
      Dataset calibration,
      int batchSize,
      int limit,
      String where)
      throws EdgeoptException {
    List<String> outputs = new ArrayList<>();
    for (String l : layers) {
      outputs.add(original.node(l).orElseThrow().output());
    }
    Map<String, ChannelStatistics> reference =
        ActivationStatistics.of(original, outputs, calibration, batchSize, limit, where);
    Graph g = pruned;
    for (List<Node> level : levels(pruned, layers)) {
      Map<String, ChannelStatistics> now =
          ActivationStatistics.of(
              g, level.stream().map(Node::output).toList(), calibration, batchSize, limit, where);
      GraphBuilder b = g.toBuilder();
      for (Node old : level) {
        Node n = g.node(old.name()).orElseThrow();
        ChannelStatistics want = reference.get(n.output());
        ChannelStatistics have = now.get(n.output());
        if (want == null || have == null) {
          continue;
        }
        int[] map = keptChannels.get(n.name());
        float[] wm = want.mean();
        float[] hm = have.mean();
        float[] delta = new float[hm.length];
        for (int c = 0; c < hm.length; c++) {
          delta[c] = wm[map == null ? c : map[c]] - hm[c];
        }
        addToBias(b, g, n, delta);
      }
      g = b.build();
    }
    return g;
  }

  private static void addToBias(GraphBuilder b, Graph g, Node n, float[] delta) {
    if (!n.opType().equals("Conv") && !n.opType().equals("Gemm")) {
      return;
    }
    Tensor bias = n.input(2).isEmpty() ? null : g.initializers().get(n.input(2));
    if (!n.input(2).isEmpty() && (bias == null || bias.elementCount() != delta.length)) {
      return;
    }
    float[] v = bias == null ? new float[delta.length] : bias.toFloats();
    for (int i = 0; i < v.length; i++) {
      v[i] += delta[i];
    }
    String name = b.uniqueName((bias == null ? n.input(1) + "_bias" : bias.name()) + "_corrected");
    b.addInitializer(Tensor.ofFloats(name, new long[] {v.length}, v));
    List<String> in = new ArrayList<>(n.inputs());
    while (in.size() < 3) {
      in.add("");
    }
    in.set(2, name);
    b.replaceNode(n.withInputs(in));
    b.removeUnused();
  }

  /** Returns whether {@code g} has BatchNormalization nodes with constant statistics. */
  public static boolean hasBatchNorm(Graph g) {
    return g.nodes().stream()
        .anyMatch(
            n ->
                n.opType().equals("BatchNormalization")
                    && g.initializers().containsKey(n.input(3))
                    && g.initializers().containsKey(n.input(4)));
  }

  /**
   * Returns {@code g} with every BatchNormalization's mean and variance measured on the
   * calibration data, level by level from the input.
   */
  public static Graph reestimateBatchNorm(
      Graph g, Dataset calibration, int batchSize, int limit, String where)
      throws EdgeoptException {
    List<String> names =
        g.nodes().stream()
            .filter(
                n ->
                    n.opType().equals("BatchNormalization")
                        && g.initializers().containsKey(n.input(3))
                        && g.initializers().containsKey(n.input(4))
                        && !n.name().isEmpty())
            .map(Node::name)
            .toList();
    Graph cur = g;
    for (List<Node> level : levels(g, names)) {
      Graph now = cur;
      Map<String, ChannelStatistics> stats =
          ActivationStatistics.of(
              now,
              level.stream().map(n -> n.input(0)).toList(),
              calibration,
              batchSize,
              limit,
              where);
      GraphBuilder b = now.toBuilder();
      for (Node old : level) {
        Node n = now.node(old.name()).orElseThrow();
        ChannelStatistics s = stats.get(n.input(0));
        if (s == null || s.mean().length != now.initializers().get(n.input(3)).elementCount()) {
          continue;
        }
        long c = s.mean().length;
        String mean = b.uniqueName(n.input(3) + "_reestimated");
        String var = b.uniqueName(n.input(4) + "_reestimated");
        b.addInitializer(Tensor.ofFloats(mean, new long[] {c}, s.mean()));
        b.addInitializer(Tensor.ofFloats(var, new long[] {c}, s.variance()));
        List<String> in = new ArrayList<>(n.inputs());
        in.set(3, mean);
        in.set(4, var);
        b.replaceNode(n.withInputs(in));
      }
      cur = b.removeUnused().build();
    }
    return cur;
  }
}
