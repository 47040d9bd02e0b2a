package org.edgeopt.prune;

import org.edgeopt.core.data.*;
import org.edgeopt.core.graph.*;
import org.edgeopt.core.onnx.OnnxModels;
import org.edgeopt.core.target.TargetProfiles;
import org.edgeopt.samples.*;
import org.junit.jupiter.api.Test;

class ScratchTimingTest {
  @Test
  void time() throws Exception {
    SampleModel s = SampleModels.fashionMnist();
    Graph model = OnnxModels.read(s.model());
    Preprocessing pre = Preprocessing.parse(s.preprocess());
    Dataset hold = Datasets.open(s.holdout().images().getParent(), pre, null, null);
    Dataset cal = Datasets.open(s.calibration().images().getParent(), pre, null, null);
    long t0 = System.nanoTime();
    HoldoutEvaluator ev = new HoldoutEvaluator(InMemoryDataset.of(hold), 100, 500);
    for (int i = 0; i < 3; i++) { long a = System.nanoTime(); ev.correct(model); System.out.printf("eval500 %.0f ms%n", (System.nanoTime()-a)/1e6); }
    long a = System.nanoTime(); ModelCost.of(model, "m"); System.out.printf("cost %.0f ms%n", (System.nanoTime()-a)/1e6);
    a = System.nanoTime(); ChannelGroups g = ChannelGroups.analyse(model, "m"); System.out.printf("analyse %.0f ms%n", (System.nanoTime()-a)/1e6);
    a = System.nanoTime(); var r = LinearReconstruction.collect(g, InMemoryDataset.of(cal), 100, 256, "m"); System.out.printf("collect %.0f ms%n", (System.nanoTime()-a)/1e6);
    PruneRequest req = PruneRequest.of(TargetProfiles.get("onnxruntime-cpu"), PruneMode.AUTO, 1.0, false, hold, cal).withSearchLimit(500).withCalibrationLimit(256).withLatency(false);
    long[] last = {System.nanoTime()};
    Pruner.prune(model, req, "m", line -> { long n = System.nanoTime(); System.out.printf("%6.0f ms  %s%n", (n - last[0]) / 1e6, line); last[0] = n; });
    System.out.printf("total %.1f s%n", (System.nanoTime()-t0)/1e9);
  }
}
