package org.edgeopt.prune;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.edgeopt.core.graph.Graph;
import org.edgeopt.core.graph.GraphBuilder;
import org.edgeopt.core.graph.Node;
import org.edgeopt.core.graph.Tensor;
import org.edgeopt.core.onnx.OnnxChecker;
import org.edgeopt.core.runtime.InferenceSession;
import org.edgeopt.core.runtime.OrtRuntime;
import org.edgeopt.core.runtime.SessionOptions;
import org.edgeopt.core.testing.TestModels;
import org.junit.jupiter.api.Test;

class ChannelPrunerTest {
  /** Surgery is exact: pruned outputs equal the masked model's within this absolute tolerance. */
  private static final float EXACT = 1e-4f;

  private static ChannelGroup group(ChannelGroups a, String source) {
    return a.groups().stream().filter(g -> g.sources().contains(source)).findFirst().orElseThrow();
  }

  @Test
  void findsTheGroupsOfAResidualBlockWithConcatAndGemm() throws Exception {
    ChannelGroups a = ChannelGroups.analyse(PruneTestModels.mobileBlock(), "mobile");
    ChannelGroup residual = group(a, "stem");
    assertEquals(
        List.of("stem", "project"),
        residual.sources(),
        "the residual Add ties stem and project channels");
    assertEquals(8, residual.channels());
    assertTrue(
        residual.sinks().containsAll(List.of("expand", "branch", "head")),
        residual.sinks().toString());
    assertEquals(
        List.of("project"),
        group(a, "expand").sinks(),
        "the depthwise conv carries the expand channels");
    assertEquals(List.of("head"), group(a, "branch").sinks());
    assertEquals(
        List.of("fc"),
        group(a, "head").sinks(),
        "Flatten after the pool keeps channel order for the Gemm");
    ChannelGroup logits = group(a, "fc");
    assertFalse(logits.prunable());
    assertTrue(logits.reason().contains("graph output"), logits.reason());
    assertEquals(4, a.prunable().size());
  }

  @Test
  void keepShareRemovesTheSameShareOfEveryGroupByTheSearchRankingAndRounding() throws Exception {
    ChannelGroups a = ChannelGroups.analyse(PruneTestModels.mobileBlock(), "mobile");
    Map<Integer, int[]> keep = ChannelPruner.keepShare(a, 0.25);
    // 16-channel groups keep 12 (a multiple of 4); 8 and 4 channels round back to all, so those
    // groups are left out.
    assertEquals(java.util.Set.of(group(a, "expand").id(), group(a, "head").id()), keep.keySet());
    for (int id : keep.keySet()) {
      ChannelGroup g = a.groups().stream().filter(x -> x.id() == id).findFirst().orElseThrow();
      int[] expected = ChannelSearch.top(ChannelSearch.ranking(a.graph, a, g), 12);
      assertEquals(java.util.Arrays.toString(expected), java.util.Arrays.toString(keep.get(id)));
    }
    assertTrue(ChannelPruner.keepShare(a, 0).isEmpty());
    assertThrows(IllegalArgumentException.class, () -> ChannelPruner.keepShare(a, 1));
  }

  @Test
  void removingChannelsEqualsZeroingWhatReadsThem() throws Exception {
    Graph g = PruneTestModels.mobileBlock();
    ChannelGroups a = ChannelGroups.analyse(g, "mobile");
    Map<Integer, int[]> keep = new HashMap<>();
    keep.put(group(a, "stem").id(), new int[] {0, 2, 3, 5, 7});
    keep.put(group(a, "expand").id(), new int[] {1, 2, 4, 8, 9, 10, 15});
    keep.put(group(a, "branch").id(), new int[] {1, 3});
    keep.put(group(a, "head").id(), new int[] {0, 1, 2, 3, 4, 5, 6, 7, 8, 12});
    Graph pruned = ChannelPruner.prune(a, keep, Map.of());
    OnnxChecker.check(pruned, "pruned");

    Graph masked = g;
    masked = zeroInputs(masked, "expand", 1, removed(8, keep.get(group(a, "stem").id()), 0, 1));
    masked = zeroInputs(masked, "branch", 1, removed(8, keep.get(group(a, "stem").id()), 0, 1));
    // the head reads Concat(residual 8, branch 4): the branch channels sit at offset 8
    int[] headDrop =
        concat(
            removed(8, keep.get(group(a, "stem").id()), 0, 1),
            removed(4, keep.get(group(a, "branch").id()), 8, 1));
    masked = zeroInputs(masked, "head", 1, headDrop);
    masked = zeroInputs(masked, "project", 1, removed(16, keep.get(group(a, "expand").id()), 0, 1));
    masked = zeroInputs(masked, "fc", 1, removed(16, keep.get(group(a, "head").id()), 0, 1));

    Tensor x = PruneTestModels.mobileInput(5, 6);
    float diff = maxDiff(run(pruned, x), run(masked, x));
    assertTrue(diff < EXACT, "pruned vs masked differ by " + diff);
    Node dw = pruned.node("dw").orElseThrow();
    assertEquals(7, dw.intAttr("group", 0), "depthwise group count follows the kept channels");
    assertEquals(7, pruned.initializers().get(dw.input(1)).dim(0));
    assertEquals(7, pruned.initializers().get(pruned.node("dw.bn").orElseThrow().input(1)).dim(0));
    assertEquals(
        7,
        pruned.initializers().get(pruned.node("head").orElseThrow().input(1)).dim(1),
        "5 + 2 concat inputs");
    assertEquals(10, pruned.initializers().get(pruned.node("fc").orElseThrow().input(1)).dim(1));
  }

  @Test
  void removingAConstantChannelWithMeanCompensationIsLossless() throws Exception {
    Graph g = PruneTestModels.mobileBlock();
    // expand channel 3 gets an all-zero filter: after BN, Clip, depthwise, BN, Clip it is a
    // constant map
    float[] w = g.initializers().get("expand.w").toFloats();
    java.util.Arrays.fill(w, 3 * 8, 4 * 8, 0f);
    g =
        g.toBuilder()
            .addInitializer(Tensor.ofFloats("expand.w", new long[] {16, 8, 1, 1}, w))
            .build();
    // the depthwise filter of channel 3 is all zero too, so zero padding cannot make its border
    // differ
    float[] dw = g.initializers().get("dw.w").toFloats();
    java.util.Arrays.fill(dw, 3 * 9, 4 * 9, 0f);
    g = g.toBuilder().addInitializer(Tensor.ofFloats("dw.w", new long[] {16, 1, 3, 3}, dw)).build();
    // and a BN shift that makes the constant positive, so the Clip keeps it
    float[] beta = g.initializers().get("dw.bn.bias").toFloats();
    beta[3] = 2.5f;
    g = g.toBuilder().addInitializer(Tensor.ofFloats("dw.bn.bias", new long[] {16}, beta)).build();
    ChannelGroups a = ChannelGroups.analyse(g, "mobile");
    Tensor x = PruneTestModels.mobileInput(9, 4);
    float mean = channelValue(g, "d.act", 3, x);
    assertTrue(mean > 1f, "a clearly non-zero constant channel: " + mean);
    float[] means = new float[16];
    means[3] = mean;
    int[] keep = {0, 1, 2, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};
    Graph pruned =
        ChannelPruner.prune(a, Map.of(group(a, "expand").id(), keep), Map.of("d.act", means));
    assertTrue(maxDiff(run(pruned, x), run(g, x)) < EXACT);
    Graph plain = ChannelPruner.prune(a, Map.of(group(a, "expand").id(), keep), Map.of());
    assertTrue(
        maxDiff(run(plain, x), run(g, x)) > 10 * EXACT,
        "without compensation the constant is lost");
  }

  @Test
  void frozenGroupsAndEmptyKeepsAreRefused() throws Exception {
    ChannelGroups a = ChannelGroups.analyse(PruneTestModels.mobileBlock(), "mobile");
    assertThrows(
        IllegalArgumentException.class,
        () -> ChannelPruner.prune(a, Map.of(group(a, "fc").id(), new int[] {0}), Map.of()));
    assertThrows(
        IllegalArgumentException.class,
        () -> ChannelPruner.prune(a, Map.of(group(a, "head").id(), new int[0]), Map.of()));
  }

  @Test
  void aReshapeOrAGraphOutputFreezesWhatItReads() throws Exception {
    ChannelGroups a = ChannelGroups.analyse(TestModels.smallCnn(13), "small");
    // conv1 -> BN -> Relu -> depthwise -> Clip -> Add(., relu) -> GAP -> Flatten -> Gemm: one
    // prunable group
    assertEquals(1, a.prunable().size());
    assertEquals(List.of("conv1"), a.prunable().get(0).sources());
  }

  @Test
  void leastSquaresRefitMakesRemovingADuplicateChannelLossless() throws Exception {
    Graph g = PruneTestModels.mobileBlock();
    // channel 4 is made clearly active (a positive shift before the last Clip), then expand channel
    // 5
    // becomes a copy of it all the way to the project conv's input
    float[] beta = g.initializers().get("dw.bn.bias").toFloats();
    beta[4] = 1.5f;
    g = g.toBuilder().addInitializer(Tensor.ofFloats("dw.bn.bias", new long[] {16}, beta)).build();
    GraphBuilder b = g.toBuilder();
    copyRow(b, g, "expand.w", 4, 5);
    for (String p :
        List.of(
            "expand.bn.scale",
            "expand.bn.bias",
            "expand.bn.mean",
            "expand.bn.var",
            "dw.w",
            "dw.bn.scale",
            "dw.bn.bias",
            "dw.bn.mean",
            "dw.bn.var")) {
      copyRow(b, g, p, 4, 5);
    }
    g = b.build();
    ChannelGroups a = ChannelGroups.analyse(g, "mobile");
    TensorDataset cal = TensorDataset.labelledBy(g, new long[] {3, 8, 8}, 64, 21, 2f);
    var regressions = LinearReconstruction.collect(a, cal, 32, 64, "mobile");
    assertTrue(regressions.containsKey("project"), regressions.keySet().toString());
    assertFalse(regressions.containsKey("dw"), "depthwise convolutions are not readers");
    int[] keep = {0, 1, 2, 3, 4, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};
    Graph refit =
        ChannelPruner.prune(a, Map.of(group(a, "expand").id(), keep), Map.of(), regressions);
    Tensor x = PruneTestModels.mobileInput(31, 8);
    float lossless = maxDiff(run(refit, x), run(g, x));
    float plain =
        maxDiff(
            run(ChannelPruner.prune(a, Map.of(group(a, "expand").id(), keep), Map.of()), x),
            run(g, x));
    assertTrue(lossless < 1e-3f, "refit error " + lossless);
    assertTrue(plain > 100 * lossless, "plain removal loses the channel: " + plain);
  }

  private static void copyRow(GraphBuilder b, Graph g, String name, int from, int to) {
    Tensor t = g.initializers().get(name);
    float[] v = t.toFloats();
    int per = (int) (t.elementCount() / t.dim(0));
    System.arraycopy(v, from * per, v, to * per, per);
    b.addInitializer(Tensor.ofFloats(name, t.dims(), v));
  }

  @Test
  void aReaderThatGainsABiasAndLosesOutputChannelsGetsItsBiasSlicedToo() throws Exception {
    Graph g = PruneTestModels.mobileBlock();
    ChannelGroups a = ChannelGroups.analyse(g, "mobile");
    TensorDataset cal = TensorDataset.labelledBy(g, new long[] {3, 8, 8}, 64, 22, 2f);
    var regressions = LinearReconstruction.collect(a, cal, 32, 64, "mobile");
    Map<Integer, int[]> keep =
        Map.of(
            group(a, "stem").id(),
            new int[] {0, 1, 3, 4, 6, 7},
            group(a, "expand").id(),
            new int[] {0, 1, 2, 3, 5, 6, 8, 9, 10, 11, 12, 14});
    // project has no bias, reads the pruned expand channels and writes the pruned residual channels
    for (Graph p :
        List.of(
            ChannelPruner.prune(a, keep, Map.of(), regressions),
            ChannelPruner.prune(a, keep, Map.of("d.act", new float[16]), Map.of()))) {
      Node project = p.node("project").orElseThrow();
      assertEquals(3, project.inputs().size());
      assertEquals(6, p.initializers().get(project.input(1)).dim(0));
      assertEquals(12, p.initializers().get(project.input(1)).dim(1));
      assertEquals(
          6,
          p.initializers().get(project.input(2)).dim(0),
          "the added bias follows the kept outputs");
      OnnxChecker.check(p, "pruned");
      run(p, PruneTestModels.mobileInput(3, 2));
    }
  }

  static int[] removed(int n, int[] keep, int offset, int inner) {
    java.util.Set<Integer> k = new java.util.HashSet<>();
    for (int i : keep) {
      k.add(i);
    }
    return java.util.stream.IntStream.range(0, n)
        .filter(i -> !k.contains(i))
        .map(i -> i + offset)
        .toArray();
  }

  private static int[] concat(int[] a, int[] b) {
    return java.util.stream.IntStream.concat(java.util.Arrays.stream(a), java.util.Arrays.stream(b))
        .toArray();
  }

  /** Returns {@code g} with the given input channels (axis 1 of the weight) of {@code layer} zeroed. */
  static Graph zeroInputs(Graph g, String layer, int axis, int[] channels) {
    Node n = g.node(layer).orElseThrow();
    Tensor w = g.initializers().get(n.input(1));
    long[] d = w.dims();
    float[] v = w.toFloats();
    int inner = 1;
    for (int i = axis + 1; i < d.length; i++) {
      inner *= (int) d[i];
    }
    int outer = (int) (v.length / (inner * d[axis]));
    for (int o = 0; o < outer; o++) {
      for (int c : channels) {
        java.util.Arrays.fill(
            v, (int) ((o * d[axis] + c) * inner), (int) ((o * d[axis] + c + 1) * inner), 0f);
      }
    }
    GraphBuilder b = g.toBuilder();
    b.addInitializer(Tensor.ofFloats(w.name(), d, v));
    return b.build();
  }

  static Tensor run(Graph g, Tensor x) throws Exception {
    try (InferenceSession s = OrtRuntime.get().open(g, SessionOptions.defaults().withThreads(1))) {
      return s.run(Map.of(g.inputs().get(0).name(), x.withName(g.inputs().get(0).name())))
          .values()
          .iterator()
          .next();
    }
  }

  static float maxDiff(Tensor a, Tensor b) {
    float[] x = a.toFloats();
    float[] y = b.toFloats();
    assertEquals(x.length, y.length);
    float m = 0;
    for (int i = 0; i < x.length; i++) {
      m = Math.max(m, Math.abs(x[i] - y[i]));
    }
    return m;
  }

  private static float channelValue(Graph g, String tensor, int channel, Tensor x)
      throws Exception {
    GraphBuilder b = g.toBuilder();
    b.addOutput(new org.edgeopt.core.graph.Value(tensor, null));
    try (InferenceSession s =
        OrtRuntime.get().open(b.build(), SessionOptions.defaults().withThreads(1))) {
      Tensor t = s.run(Map.of("x", x), List.of(tensor)).get(tensor);
      float[] v = t.toFloats();
      long[] d = t.dims();
      int inner = (int) (d[2] * d[3]);
      return v[channel * inner];
    }
  }
}
