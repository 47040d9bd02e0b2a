package org.edgeopt.prune;

import java.util.*;
import org.edgeopt.core.data.*;
import org.edgeopt.core.graph.*;
import org.edgeopt.core.onnx.OnnxModels;
import org.edgeopt.samples.*;
import org.junit.jupiter.api.Test;

class ScratchMeanCheckTest {
  @Test
  void compare() throws Exception {
    SampleModel s = SampleModels.fashionMnist();
    Graph model = OnnxModels.read(s.model());
    Preprocessing pre = Preprocessing.parse(s.preprocess());
    Dataset hold = InMemoryDataset.of(Datasets.open(s.holdout().images().getParent(), pre, null, null));
    Dataset cal = InMemoryDataset.of(Datasets.open(s.calibration().images().getParent(), pre, null, null));
    ChannelGroups a = ChannelGroups.analyse(model, "f");
    List<String> read = new ArrayList<>();
    a.sinks.forEach(x -> read.add(x.tensor()));
    Map<String, float[]> means = new HashMap<>();
    ActivationStatistics.of(model, read, cal, 100, 500, "f").forEach((t, st) -> means.put(t, st.mean()));
    var regs = LinearReconstruction.collect(a, cal, 100, 500, "f");
    HoldoutEvaluator ev = new HoldoutEvaluator(hold, 100, 1000);
    System.out.println("base " + ev.correct(model));
    for (ChannelGroup g : a.prunable()) {
      int[] order = ChannelSearch.ranking(a.graph, a, g);
      int k = ChannelSearch.keepCount(g.channels(), 0.75);
      Map<Integer, int[]> keep = Map.of(g.id(), ChannelSearch.top(order, k));
      System.out.printf("%s keep %d: plain %d mean %d ls %d%n", g.describe(), k,
          ev.correct(ChannelPruner.prune(a, keep, Map.of())), ev.correct(ChannelPruner.prune(a, keep, means)),
          ev.correct(ChannelPruner.prune(a, keep, means, regs)));
    }
  }
}
