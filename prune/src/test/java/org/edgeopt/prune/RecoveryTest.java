package org.edgeopt.prune;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.edgeopt.core.graph.Graph;
import org.edgeopt.core.graph.Node;
import org.junit.jupiter.api.Test;

class RecoveryTest {
  private static float maxMeanGap(
      Map<String, ChannelStatistics> a, Map<String, ChannelStatistics> b, List<String> tensors) {
    float m = 0;
    for (String t : tensors) {
      float[] x = a.get(t).mean();
      float[] y = b.get(t).mean();
      for (int i = 0; i < x.length; i++) {
        m = Math.max(m, Math.abs(x[i] - y[i]));
      }
    }
    return m;
  }

  @Test
  void biasCorrectionGivesPrunedLayersBackTheirOutputMeans() throws Exception {
    Graph g = PruneTestModels.mobileBlock();
    TensorDataset cal = TensorDataset.labelledBy(g, new long[] {3, 8, 8}, 120, 3, 2f);
    List<String> layers = List.of("expand", "project", "head");
    List<String> outputs = List.of("e", "p", "h");
    Graph pruned = SemiStructuredPruner.prune(g, layers);
    Map<String, ChannelStatistics> ref = ActivationStatistics.of(g, outputs, cal, 40, 120, "ref");
    float before =
        maxMeanGap(ref, ActivationStatistics.of(pruned, outputs, cal, 40, 120, "pruned"), outputs);
    Graph corrected = Recovery.biasCorrection(g, pruned, layers, Map.of(), cal, 40, 120, "mobile");
    float after =
        maxMeanGap(
            ref, ActivationStatistics.of(corrected, outputs, cal, 40, 120, "corrected"), outputs);
    assertTrue(before > 0.01f, "2:4 pruning shifts the means: " + before);
    // Two passes: what remains is the second-order shift of later layers, well under a tenth of the
    // start.
    assertTrue(after < before / 10, "mean gap " + before + " -> " + after);
    assertTrue(pruned.node("expand").orElseThrow().input(2).isEmpty());
    assertEquals(
        3,
        corrected.node("expand").orElseThrow().inputs().size(),
        "a bias is added where there was none");
  }

  @Test
  void batchNormReestimationSetsEachBnToItsInputsStatistics() throws Exception {
    Graph g = PruneTestModels.mobileBlock();
    TensorDataset cal = TensorDataset.labelledBy(g, new long[] {3, 8, 8}, 120, 4, 2f);
    Graph r =
        Recovery.reestimateBatchNorm(
            SemiStructuredPruner.prune(g, List.of("expand", "project")), cal, 40, 120, "m");
    for (Node bn : r.nodes()) {
      if (!bn.opType().equals("BatchNormalization")) {
        continue;
      }
      ChannelStatistics s =
          ActivationStatistics.of(r, List.of(bn.input(0)), cal, 40, 120, "m").get(bn.input(0));
      float[] mean = r.initializers().get(bn.input(3)).toFloats();
      float[] var = r.initializers().get(bn.input(4)).toFloats();
      for (int c = 0; c < mean.length; c++) {
        assertEquals(s.mean()[c], mean[c], 1e-3 + 1e-3 * Math.abs(mean[c]), bn.name());
        assertEquals(s.variance()[c], var[c], 1e-3 + 1e-2 * var[c], bn.name());
      }
    }
    assertTrue(Recovery.hasBatchNorm(g));
  }
}
