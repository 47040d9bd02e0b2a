package org.edgeopt.ingest.pass;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.edgeopt.core.graph.Attribute;
import org.edgeopt.core.graph.Graph;
import org.edgeopt.core.graph.GraphBuilder;
import org.edgeopt.core.graph.Node;
import org.edgeopt.core.graph.Value;
import org.edgeopt.core.onnx.OnnxChecker;
import org.edgeopt.core.testing.TestModels;
import org.junit.jupiter.api.Test;

class BatchNormFoldingTest {
  /** Folding reorders float arithmetic; 1e-4 absolute on logits of magnitude ~1 is what float rounding allows. */
  private static final double TOLERANCE = 1e-4;

  @Test
  void foldedSmallCnnGivesTheSameLogits() throws Exception {
    Graph g = TestModels.smallCnn(13);
    PassResult r = new BatchNormFolding().apply(g, "small_cnn");
    assertTrue(r.changed(), r.message());
    assertEquals(0, r.graph().opHistogram().getOrDefault("BatchNormalization", 0));
    assertEquals(g.nodes().size() - 1, r.graph().nodes().size());
    // The BN parameters are gone: 4 vectors of 4 elements.
    assertEquals(g.parameterCount() - 16, r.graph().parameterCount());
    OnnxChecker.check(r.graph(), "folded");
    double worst = 0;
    for (long seed = 1; seed <= 3; seed++) {
      var in = Map.of("input", TestModels.smallCnnInput(seed, 5));
      double diff = Outputs.maxAbsDiff(Outputs.run(g, in), Outputs.run(r.graph(), in));
      assertTrue(
          diff <= TOLERANCE, "max abs diff " + diff + " > " + TOLERANCE + " for seed " + seed);
      worst = Math.max(worst, diff);
    }
    System.out.printf(
        "smallCnn BN folding: max abs logit diff %.3g (tolerance %.0e)%n", worst, TOLERANCE);
  }

  @Test
  void keepsBatchNormWhenConvOutputHasAnotherReader() throws Exception {
    GraphBuilder b = TestModels.smallCnn(13).toBuilder();
    // A second reader of the Conv output would see the unnormalised values, so no fold is allowed.
    b.add("Relu", "side", List.of("c1"), List.of("side_out"));
    b.addOutput(new Value("side_out", null));
    Graph g = b.build();
    PassResult r = new BatchNormFolding().apply(g, "g");
    assertFalse(r.changed(), r.message());
    assertEquals(1, r.graph().opHistogram().get("BatchNormalization"));
  }

  @Test
  void sharedWeightsGetTheirOwnFoldedCopy() throws Exception {
    GraphBuilder b = TestModels.smallCnn(13).toBuilder();
    b.add(
        "Conv",
        "conv_twin",
        List.of("input", "conv1.w"),
        List.of("twin"),
        Attribute.of("kernel_shape", new long[] {3, 3}),
        Attribute.of("pads", new long[] {1, 1, 1, 1}));
    b.addOutput(new Value("twin", null));
    Graph g = b.build();
    Graph folded = new BatchNormFolding().apply(g, "g").graph();
    Node twin = folded.node("conv_twin").orElseThrow();
    Node conv1 = folded.node("conv1").orElseThrow();
    assertEquals("conv1.w", twin.input(1), "the other reader keeps the original weights");
    assertFalse(conv1.input(1).equals("conv1.w"), "the folded Conv gets new weights");
    var in = Map.of("input", TestModels.smallCnnInput(7, 2));
    double diff = Outputs.maxAbsDiff(Outputs.run(g, in), Outputs.run(folded, in));
    assertTrue(diff <= TOLERANCE, "max abs diff " + diff);
  }
}
