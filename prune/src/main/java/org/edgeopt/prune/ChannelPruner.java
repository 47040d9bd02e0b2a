package org.edgeopt.prune;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import org.edgeopt.core.graph.Attribute;
import org.edgeopt.core.graph.Graph;
import org.edgeopt.core.graph.GraphBuilder;
import org.edgeopt.core.graph.Node;
import org.edgeopt.core.graph.Tensor;

/**
 * Removes channels by graph surgery: the pruned filters from each source layer, the matching
 * per-channel parameters of every carrying node (BatchNormalization, depthwise convolutions and
 * their group count, per-channel constants), and the matching input channels of every layer that
 * reads them (the next convolutions, a Gemm after Flatten, at their Concat offsets).
 *
 * <p>With the mean of each read tensor, measured on calibration data, the removed channels'
 * average contribution is folded into the readers' biases (bias compensation): it replaces a
 * channel by its mean instead of by zero, which keeps the next layer's output centred.
 */
public final class ChannelPruner {
  private ChannelPruner() {}

  /**
   * Returns the channels each prunable group keeps when every group removes the same share of
   * its channels, the least important first by the channel search's own ranking (L1 filter norm
   * times the following BatchNormalization's scale) and rounded as the search rounds (a multiple
   * of 4 where the group has one): a fixed pruning level, for callers that search levels
   * themselves (such as {@code edgeopt optimize}). Groups that keep every channel are left out.
   *
   * @param removeShare the share of channels to remove, in [0, 1)
   */
  public static Map<Integer, int[]> keepShare(ChannelGroups analysis, double removeShare) {
    if (!(removeShare >= 0 && removeShare < 1)) {
      throw new IllegalArgumentException("share to remove must be in [0, 1), found " + removeShare);
    }
    Map<Integer, int[]> keep = new HashMap<>();
    for (ChannelGroup group : analysis.prunable()) {
      int k = ChannelSearch.keepCount(group.channels(), 1 - removeShare);
      if (k < group.channels()) {
        keep.put(
            group.id(),
            ChannelSearch.top(ChannelSearch.ranking(analysis.graph, analysis, group), k));
      }
    }
    return keep;
  }

  /**
   * Returns the graph with only the {@code keep} channels of each group.
   *
   * @param analysis the channel groups of the graph
   * @param keep the kept channel indices (ascending) by group id; groups not listed keep all
   * @param means per-channel means of tensors read by weighted layers (by tensor name), or an
   *     empty map for plain removal
   * @throws IllegalArgumentException if a listed group is not prunable or keeps no channel
   */
  public static Graph prune(
      ChannelGroups analysis, Map<Integer, int[]> keep, Map<String, float[]> means) {
    return prune(analysis, keep, means, Map.of());
  }

  /**
   * Returns the graph with only the {@code keep} channels of each group, refitting every reader
   * layer that has a {@link LinearReconstruction} regression (the others get mean compensation).
   */
  static Graph prune(
      ChannelGroups analysis,
      Map<Integer, int[]> keep,
      Map<String, float[]> means,
      Map<String, LinearReconstruction.Regression> regressions) {
    Map<Integer, ChannelGroup> byId = new HashMap<>();
    analysis.groups().forEach(gr -> byId.put(gr.id(), gr));
    Map<Integer, int[]> roots = new HashMap<>();
    for (Map.Entry<Integer, int[]> e : keep.entrySet()) {
      ChannelGroup gr = byId.get(analysis.find(e.getKey()));
      if (gr == null || !gr.prunable()) {
        throw new IllegalArgumentException(
            "channel group "
                + e.getKey()
                + " cannot be pruned"
                + (gr == null ? "" : ": " + gr.reason()));
      }
      int[] k = e.getValue();
      if (k.length == 0 || k.length > gr.channels() || k[k.length - 1] >= gr.channels()) {
        throw new IllegalArgumentException(
            "channel group "
                + gr.id()
                + " ("
                + gr.describe()
                + "): cannot keep "
                + k.length
                + " channels");
      }
      if (k.length < gr.channels()) {
        roots.put(gr.id(), k.clone());
      }
    }
    return new Surgery(analysis, roots, means, regressions).run();
  }

  /** One application of a pruning plan. */
  private static final class Surgery {
    private final ChannelGroups a;
    private final Graph g;
    private final Map<Integer, int[]> keep;
    private final Map<String, float[]> means;
    private final Map<String, LinearReconstruction.Regression> regressions;

    /** Slices per node, input and axis. */
    private final Map<Node, Map<Integer, Map<Integer, int[]>>> slices = new IdentityHashMap<>();

    /** Replacement tensors (compensated bias, refitted weights) per node and input, before output slicing. */
    private final Map<Node, Map<Integer, Tensor>> replaced = new IdentityHashMap<>();

    Surgery(
        ChannelGroups a,
        Map<Integer, int[]> keep,
        Map<String, float[]> means,
        Map<String, LinearReconstruction.Regression> regressions) {
      this.a = a;
      this.g = a.graph;
      this.keep = keep;
      this.means = means;
      this.regressions = regressions;
    }

    /** Returns the kept indices of a channel space, or null when all are kept. */
    private int[] kept(ChannelGroups.Space s) {
      boolean any = false;
      List<Integer> out = new ArrayList<>();
      int offset = 0;
      for (ChannelGroups.Segment seg : s.segments()) {
        int[] k = keep.get(a.find(seg.group()));
        if (k == null) {
          for (int i = 0; i < seg.length(); i++) {
            out.add(offset + i);
          }
        } else {
          any = true;
          for (int i : k) {
            out.add(offset + i);
          }
        }
        offset += seg.length();
      }
      return any ? out.stream().mapToInt(Integer::intValue).toArray() : null;
    }

    private static int[] expand(int[] channels, int inner) {
      int[] out = new int[channels.length * inner];
      for (int i = 0; i < channels.length; i++) {
        for (int j = 0; j < inner; j++) {
          out[i * inner + j] = channels[i] * inner + j;
        }
      }
      return out;
    }

    private void slice(Node n, int input, int axis, int[] k) {
      slices
          .computeIfAbsent(n, x -> new HashMap<>())
          .computeIfAbsent(input, x -> new HashMap<>())
          .put(axis, k);
    }

    Graph run() {
      for (Map.Entry<Integer, List<Node>> e : a.sources.entrySet()) {
        int[] k = keep.get(a.find(e.getKey()));
        if (k == null) {
          continue;
        }
        for (Node n : e.getValue()) {
          switch (n.opType()) {
            // the bias is sliced too, also when compensation or a refit adds one the layer did not
            // have
            case "Conv" -> {
              slice(n, 1, 0, k);
              slice(n, 2, 0, k);
            }
            case "Gemm" -> {
              slice(n, 1, n.intAttr("transB", 0) == 1 ? 0 : 1, k);
              slice(n, 2, 0, k);
            }
            default -> slice(n, 1, 1, k);
          }
        }
      }
      for (ChannelGroups.Param p : a.params) {
        int[] k = kept(a.spaces.get(p.node().output()));
        if (k != null) {
          slice(p.node(), p.input(), p.axis(), k);
        }
      }
      for (ChannelGroups.Sink s : a.sinks) {
        ChannelGroups.Space space = a.spaces.get(s.tensor());
        int[] k = kept(space);
        if (k == null) {
          continue;
        }
        Node n = s.node();
        int axis =
            switch (n.opType()) {
              case "Conv" -> 1;
              case "Gemm" -> n.intAttr("transB", 0) == 1 ? 1 : 0;
              default -> 0;
            };
        int[] features = expand(k, space.inner());
        LinearReconstruction.Regression r = regressions.get(n.name());
        if (r != null && r.features() == g.initializers().get(n.input(1)).dim(axis)) {
          refit(n, axis, features, r);
        } else {
          compensate(n, axis, features, means.get(s.tensor()));
          slice(n, 1, axis, features);
        }
      }
      return rebuild();
    }

    /** Adds the removed inputs' mean contribution to the reader's bias. */
    private void compensate(Node n, int axis, int[] keptFeatures, float[] mean) {
      if (mean == null || n.opType().equals("MatMul")) {
        return;
      }
      Tensor w = g.initializers().get(n.input(1));
      long[] d = w.dims();
      int features = (int) d[axis];
      if (mean.length != features) {
        return;
      }
      boolean[] kept = new boolean[features];
      for (int f : keptFeatures) {
        kept[f] = true;
      }
      int outAxis = axis == 0 ? 1 : 0;
      int outputs = (int) d[outAxis];
      int inner = 1;
      for (int i = 2; i < d.length; i++) {
        inner *= (int) d[i];
      }
      float[] wv = w.toFloats();
      Tensor bias = n.input(2).isEmpty() ? null : g.initializers().get(n.input(2));
      float[] b = bias == null ? new float[outputs] : bias.toFloats();
      if (b.length != outputs) {
        return;
      }
      for (int o = 0; o < outputs; o++) {
        double delta = 0;
        for (int f = 0; f < features; f++) {
          if (kept[f]) {
            continue;
          }
          for (int i = 0; i < inner; i++) {
            int idx =
                n.opType().equals("Conv")
                    ? (o * features + f) * inner + i
                    : axis == 1 ? o * features + f : f * outputs + o;
            delta += wv[idx] * (double) mean[f];
          }
        }
        b[o] += (float) delta;
      }
      replaced
          .computeIfAbsent(n, x -> new HashMap<>())
          .put(2, Tensor.ofFloats(biasName(n), new long[] {outputs}, b));
    }

    private static String biasName(Node n) {
      return n.input(2).isEmpty() ? n.input(1) + "_bias" : n.input(2);
    }

    /** Replaces the reader's weights over the kept features and its bias by their least-squares refit. */
    private void refit(Node n, int axis, int[] features, LinearReconstruction.Regression r) {
      double[][] w = LinearReconstruction.solve(r, features);
      int outputs = r.outputs();
      int k = features.length;
      float[] wv = new float[outputs * k];
      float[] bv = new float[outputs];
      for (int o = 0; o < outputs; o++) {
        for (int i = 0; i < k; i++) {
          // Gemm with transB=0 stores [K, N]; Conv and Gemm with transB=1 store [N, K]
          wv[axis == 0 ? i * outputs + o : o * k + i] = (float) w[o][i];
        }
        bv[o] = (float) w[o][k];
      }
      long[] dims = g.initializers().get(n.input(1)).dims();
      dims[axis] = k;
      Map<Integer, Tensor> m = replaced.computeIfAbsent(n, x -> new HashMap<>());
      m.put(1, Tensor.ofFloats(n.input(1), dims, wv));
      m.put(2, Tensor.ofFloats(biasName(n), new long[] {outputs}, bv));
    }

    private Graph rebuild() {
      GraphBuilder b = new GraphBuilder(g.name(), g.opset()).info(g.info());
      g.inputs().forEach(b::addInput);
      g.outputs().forEach(b::addOutput);
      g.initializers().values().forEach(b::addInitializer);
      for (Node n : g.nodes()) {
        b.uniqueName(n.name());
        n.outputs().forEach(b::uniqueName);
      }
      for (Node n : g.nodes()) {
        Map<Integer, Map<Integer, int[]>> s = slices.getOrDefault(n, Map.of());
        Map<Integer, Tensor> r = replaced.getOrDefault(n, Map.of());
        if (s.isEmpty() && r.isEmpty()) {
          b.addNode(n);
          continue;
        }
        List<String> in = new ArrayList<>(n.inputs());
        java.util.Set<Integer> inputs = new java.util.TreeSet<>(s.keySet());
        inputs.addAll(r.keySet());
        Node out = n;
        for (int i : inputs) {
          Tensor t;
          if (r.containsKey(i)) {
            t = r.get(i);
          } else if (i < in.size() && !in.get(i).isEmpty()) {
            t = g.initializers().get(in.get(i));
          } else {
            continue;
          }
          for (Map.Entry<Integer, int[]> e : s.getOrDefault(i, Map.of()).entrySet()) {
            t = sliceTensor(t, e.getKey(), e.getValue());
          }
          String name = b.uniqueName(t.name() + "_pruned");
          b.addInitializer(t.withName(name));
          while (in.size() <= i) {
            in.add("");
          }
          in.set(i, name);
          if (n.opType().equals("Conv") && n.intAttr("group", 1) > 1 && i == 1) {
            out = out.withAttribute(Attribute.of("group", t.dim(0)));
          }
        }
        b.addNode(out.withInputs(in));
      }
      return b.removeUnused().build();
    }
  }

  /** Returns {@code t} with only the indices {@code keep} along {@code axis}. */
  static Tensor sliceTensor(Tensor t, int axis, int[] keep) {
    long[] d = t.dims();
    int inner = 1;
    for (int i = axis + 1; i < d.length; i++) {
      inner *= (int) d[i];
    }
    int outer = 1;
    for (int i = 0; i < axis; i++) {
      outer *= (int) d[i];
    }
    int n = (int) d[axis];
    float[] v = t.toFloats();
    float[] out = new float[outer * keep.length * inner];
    for (int o = 0; o < outer; o++) {
      for (int k = 0; k < keep.length; k++) {
        System.arraycopy(v, (o * n + keep[k]) * inner, out, (o * keep.length + k) * inner, inner);
      }
    }
    long[] nd = d.clone();
    nd[axis] = keep.length;
    return Tensor.ofFloats(t.name(), nd, out);
  }
}
