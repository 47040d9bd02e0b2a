package org.edgeopt.ingest.pass;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Map;
import org.edgeopt.core.EdgeoptException;
import org.edgeopt.core.graph.Graph;
import org.edgeopt.core.graph.Tensor;
import org.edgeopt.core.runtime.InferenceSession;
import org.edgeopt.core.runtime.OrtRuntime;
import org.edgeopt.core.runtime.SessionOptions;

/** Runs graphs in ONNX Runtime (no graph optimizations) and compares their outputs. */
final class Outputs {
  private Outputs() {}

  static Map<String, Tensor> run(Graph g, Map<String, Tensor> inputs) throws EdgeoptException {
    SessionOptions o =
        SessionOptions.defaults().withThreads(1).withOptimization(SessionOptions.Optimization.NONE);
    try (InferenceSession s = OrtRuntime.get().open(g, o)) {
      return s.run(inputs);
    }
  }

  /** Returns the largest absolute difference over all outputs of the same name and shape. */
  static double maxAbsDiff(Map<String, Tensor> a, Map<String, Tensor> b) {
    assertEquals(a.keySet(), b.keySet(), "output names");
    double max = 0;
    for (String k : a.keySet()) {
      assertArrayEquals(a.get(k).dims(), b.get(k).dims(), "shape of " + k);
      float[] x = a.get(k).toFloats();
      float[] y = b.get(k).toFloats();
      for (int i = 0; i < x.length; i++) {
        max = Math.max(max, Math.abs((double) x[i] - y[i]));
      }
    }
    return max;
  }
}
