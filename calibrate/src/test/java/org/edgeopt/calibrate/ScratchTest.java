package org.edgeopt.calibrate;

import java.nio.file.Path;
import org.edgeopt.core.data.Datasets;
import org.edgeopt.core.data.Preprocessing;
import org.edgeopt.core.eval.BatchRunner;
import org.edgeopt.core.onnx.OnnxModels;
import org.edgeopt.core.runtime.OrtRuntime;
import org.edgeopt.core.runtime.SessionOptions;
import org.junit.jupiter.api.Test;

class ScratchTest {
  @Test
  void run() throws Exception {
    Path model = Path.of("/work/shared/real-models/mnist-7/mnist.onnx");
    Path data = Path.of("/work/shared/real-models/mnist-t10k");
    var g = OnnxModels.read(model);
    var d = Datasets.open(data, Preprocessing.identity(), null, null);
    var os = (com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean();
    for (int rep = 0; rep < 4; rep++) {
      long t0 = os.getProcessCpuTime();
      try (var s = OrtRuntime.get().open(g, SessionOptions.defaults())) {
        BatchRunner.correctTop1(s, d, 1, 2000);
      }
      long t1 = os.getProcessCpuTime();
      StringBuilder sb = new StringBuilder(String.format("fp32 %.3f", (t1 - t0) / 1e9));
      for (boolean h : new boolean[] {false, true}) {
        long a = os.getProcessCpuTime();
        var st = Calibration.collect(g, d, CalibrationConfig.of(CalibrationMethod.MINMAX).withHistogram(h).withSamples(2000), CalibrationProgress.NONE);
        long b = os.getProcessCpuTime();
        sb.append(String.format(" collect(hist=%s) %.3f", h, (b - a) / 1e9));
        if (h) for (CalibrationMethod m : CalibrationMethod.values()) {
          a = os.getProcessCpuTime();
          st.ranges(m.calibrator(99.99, false));
          b = os.getProcessCpuTime();
          sb.append(String.format(" %s %.3f", m, (b - a) / 1e9));
        }
      }
      System.out.println(sb);
    }
  }
}
