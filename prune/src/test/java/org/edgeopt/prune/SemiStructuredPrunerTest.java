package org.edgeopt.prune;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.edgeopt.core.graph.Graph;
import org.edgeopt.core.graph.Node;
import org.edgeopt.core.graph.Tensor;
import org.edgeopt.core.onnx.OnnxChecker;
import org.junit.jupiter.api.Test;

class SemiStructuredPrunerTest {
  @Test
  void eligibilityFollowsTensorRtsInputChannelRule() {
    Map<String, LayerEligibility> e =
        SemiStructuredPruner.eligibility(PruneTestModels.mobileBlock()).stream()
            .collect(Collectors.toMap(LayerEligibility::layer, x -> x));
    assertFalse(e.get("stem").eligible());
    assertTrue(
        e.get("stem").reason().contains("= 3 is not divisible by 4"), e.get("stem").reason());
    assertFalse(e.get("dw").eligible());
    assertTrue(e.get("dw").reason().contains("depthwise"), e.get("dw").reason());
    for (String l : List.of("expand", "project", "branch", "head", "fc")) {
      assertTrue(e.get(l).eligible(), l + ": " + e.get(l).reason());
    }
    assertEquals(12, e.get("head").reductionChannels());
    assertEquals(16, e.get("fc").reductionChannels());
  }

  @Test
  void everyGroupOfFourInputChannelsKeepsItsTwoLargestWeights() throws Exception {
    Graph g = PruneTestModels.mobileBlock();
    List<String> layers = List.of("expand", "project", "branch", "head", "fc");
    Graph p = SemiStructuredPruner.prune(g, layers);
    OnnxChecker.check(p, "pruned");
    for (String l : layers) {
      Node n = p.node(l).orElseThrow();
      float[] before = g.initializers().get(n.input(1)).toFloats();
      Tensor w = p.initializers().get(n.input(1));
      float[] after = w.toFloats();
      long[] d = w.dims();
      int out = (int) d[0];
      int in = (int) d[1];
      int k = (int) (w.elementCount() / (out * in));
      int groups = 0;
      for (int o = 0; o < out; o++) {
        for (int pos = 0; pos < k; pos++) {
          for (int c = 0; c < in; c += 4) {
            int zeros = 0;
            float smallestKept = Float.MAX_VALUE;
            float largestDropped = 0;
            for (int j = 0; j < 4; j++) {
              int i = (o * in + c + j) * k + pos;
              if (after[i] == 0f) {
                zeros++;
                largestDropped = Math.max(largestDropped, Math.abs(before[i]));
              } else {
                assertEquals(before[i], after[i], "kept weights keep their value");
                smallestKept = Math.min(smallestKept, Math.abs(before[i]));
              }
            }
            assertEquals(
                2, zeros, l + " group at out " + o + ", channel " + c + ", position " + pos);
            assertTrue(largestDropped <= smallestKept, "the two largest magnitudes are kept");
            groups++;
          }
        }
      }
      assertEquals(w.elementCount() / 4, groups);
      assertTrue(SemiStructuredPruner.satisfies(p, l));
      assertFalse(SemiStructuredPruner.satisfies(g, l), "random dense weights do not satisfy 2:4");
    }
  }

  @Test
  void ineligibleLayersAreRefused() {
    Graph g = PruneTestModels.mobileBlock();
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class, () -> SemiStructuredPruner.prune(g, List.of("dw")));
    assertTrue(e.getMessage().contains("depthwise"));
  }
}
