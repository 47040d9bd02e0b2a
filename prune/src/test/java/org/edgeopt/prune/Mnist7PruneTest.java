package org.edgeopt.prune;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.edgeopt.core.data.Dataset;
import org.edgeopt.core.data.Datasets;
import org.edgeopt.core.data.Preprocessing;
import org.edgeopt.core.graph.Graph;
import org.edgeopt.core.onnx.OnnxModels;
import org.edgeopt.core.targets.TargetProfiles;
import org.edgeopt.samples.SharedModels;
import org.junit.jupiter.api.Test;

/** Pruning a third-party model: mnist-7 (CNTK export, fixed batch 1) on the real MNIST test images. */
class Mnist7PruneTest {
  @Test
  void twoFourOnMnist7StaysWithinBudgetAndItsReshapeFreezesTheLastConvChannels() throws Exception {
    Optional<Path> model = SharedModels.find("mnist-7/mnist.onnx");
    Optional<Path> data = SharedModels.find("mnist-t10k");
    assumeTrue(
        model.isPresent() && data.isPresent(), SharedModels.missingReason("mnist-7/mnist.onnx"));
    Graph g = OnnxModels.read(model.get());
    Dataset all = Datasets.open(data.get(), Preprocessing.identity(), null, null);
    Dataset holdout = new FirstSamples(all, 400);
    PruneRequest r =
        PruneRequest.of(
                TargetProfiles.get("tensorrt-ampere"),
                PruneMode.AUTO,
                1.0,
                false,
                holdout,
                new FirstSamples(all, 100))
            .withLatency(false);
    PruneReport rep = Pruner.prune(g, r, "mnist-7", s -> {}).report();
    System.out.println(rep.describe());
    assertTrue(rep.withinBudget(), rep.describe());
    assertTrue(rep.baselineTop1() > 97, rep.describe());
    List<String> pruned =
        rep.layers().stream().filter(LayerDecision::pruned).map(LayerDecision::name).toList();
    assertFalse(pruned.isEmpty(), rep.describe());
    assertEquals(3, rep.layers().size(), "two Conv and the MatMul");
    assertFalse(rep.layers().get(0).eligible(), "the first Conv has one input channel");

    ChannelGroups a = ChannelGroups.analyse(g, "mnist-7");
    assertEquals(
        1,
        a.prunable().size(),
        "only the first Conv's channels: the Reshape before the MatMul freezes the second's");
    assertTrue(
        a.groups().stream().anyMatch(x -> !x.prunable() && x.reason().contains("Reshape")),
        a.groups().toString());
  }
}
