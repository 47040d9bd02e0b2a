package org.edgeopt.calibrate;

import java.nio.file.Path;
import org.edgeopt.core.data.Datasets;
import org.edgeopt.core.data.Preprocessing;
import org.edgeopt.core.io.Hashes;
import org.edgeopt.core.onnx.OnnxChecker;
import org.edgeopt.core.onnx.OnnxModels;
import org.junit.jupiter.api.Test;

class ScratchTest {
  @Test
  void run() throws Exception {
    Path model = Path.of("/work/shared/real-models/mnist-7/mnist.onnx");
    Path data = Path.of("/work/shared/real-models/mnist-t10k");
    for (int rep = 0; rep < 3; rep++) {
      long a = System.nanoTime();
      var g = OnnxModels.read(model);
      long b = System.nanoTime();
      var typed = OnnxChecker.inferShapes(g, "m");
      long c = System.nanoTime();
      var t = ActivationCapture.tensorsToCalibrate(typed);
      var aug = ActivationCapture.augment(typed, t);
      byte[] bytes = OnnxModels.toBytes(aug);
      long d = System.nanoTime();
      try (var s = new PinnedCaptureSession(bytes, "Input3", t.subList(1, t.size()), 0, ai.onnxruntime.OrtSession.SessionOptions.OptLevel.ALL_OPT, "m")) { }
      long e = System.nanoTime();
      Hashes.sha256(model); Hashes.sha256Tree(data);
      long f = System.nanoTime();
      var ds = Datasets.open(data, Preprocessing.identity(), null, null);
      long g2 = System.nanoTime();
      var st = Calibration.collect(g, ds, CalibrationConfig.of(CalibrationMethod.MINMAX).withHistogram(true).withSamples(500), CalibrationProgress.NONE);
      long h = System.nanoTime();
      var r1 = st.ranges(new EntropyCalibrator());
      long i = System.nanoTime();
      var r2 = st.ranges(new MseCalibrator(false));
      long j = System.nanoTime();
      System.out.printf("read %.0f infer %.0f augment %.0f session %.0f hash %.0f open %.0f collect500 %.0f entropy %.0f mse %.0f ms%n",
        (b-a)/1e6, (c-b)/1e6, (d-c)/1e6, (e-d)/1e6, (f-e)/1e6, (g2-f)/1e6, (h-g2)/1e6, (i-h)/1e6, (j-i)/1e6);
    }
  }
}
