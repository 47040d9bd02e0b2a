package org.edgeopt.calibrate;

import ai.onnxruntime.OrtSession;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.*;
import org.edgeopt.core.data.Batch;
import org.edgeopt.core.data.Datasets;
import org.edgeopt.core.data.Preprocessing;
import org.edgeopt.core.graph.Graph;
import org.edgeopt.core.onnx.OnnxChecker;
import org.edgeopt.core.onnx.OnnxModels;
import org.junit.jupiter.api.Test;

class Scratch3Test {
  static long cpu() { return ManagementFactory.getThreadMXBean().getCurrentThreadCpuTime(); }
  @Test
  void run() throws Exception {
    var g = OnnxModels.read(Path.of("/work/shared/real-models/mnist-7/mnist.onnx"));
    var d = Datasets.open(Path.of("/work/shared/real-models/mnist-t10k"), Preprocessing.identity(), null, null);
    Graph typed = OnnxChecker.inferShapes(g, "m");
    List<String> tensors = ActivationCapture.tensorsToCalibrate(typed);
    Graph aug = ActivationCapture.augment(typed, tensors);
    List<String> fetch = new ArrayList<>(tensors); fetch.remove("Input3");
    for (int rep = 0; rep < 4; rep++) {
      for (boolean hist : new boolean[] {false, true}) {
        Map<String, TensorStatistics> stats = new HashMap<>();
        for (String t : fetch) stats.put(t, hist ? TensorStatistics.withHistogram(t) : TensorStatistics.minMaxOnly(t));
        long[] sinkT = {0}, copyT = {0};
        float[] scratch = new float[10000];
        long data = 0, run = 0;
        try (var s = new PinnedCaptureSession(OnnxModels.toBytes(aug), "Input3", fetch, 0, OrtSession.SessionOptions.OptLevel.ALL_OPT, "m")) {
          var it = d.batches(1, 2000);
          while (true) {
            long a = cpu();
            if (!it.hasNext()) break;
            Batch b = it.next();
            long c = cpu(); data += c - a;
            long[] runStart = {cpu()};
            s.run(b.input(), (name, v) -> {
              long x = cpu(); int n = v.remaining(); v.get(scratch, 0, n); long y = cpu(); stats.get(name).add(scratch, n, 1); long z = cpu();
              copyT[0] += y - x; sinkT[0] += z - y; });
            run += cpu() - runStart[0];
          }
        }
        System.out.printf("hist=%s data %.3f run(total) %.3f copy %.3f stats %.3f%n", hist, data / 1e9, run / 1e9, copyT[0] / 1e9, sinkT[0] / 1e9);
      }
    }
  }
}
