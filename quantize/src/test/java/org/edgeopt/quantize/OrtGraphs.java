package org.edgeopt.quantize;

import java.nio.file.Path;
import java.util.Map;
import org.edgeopt.core.graph.Graph;
import org.edgeopt.core.onnx.OnnxModels;
import org.edgeopt.core.runtime.InferenceSession;
import org.edgeopt.core.runtime.OrtRuntime;
import org.edgeopt.core.runtime.SessionOptions;

/** Looks at the graph ONNX Runtime actually runs after its optimizer (EXTENDED level: portable fusions). */
public final class OrtGraphs {
  private OrtGraphs() {}

  /** Returns the operator histogram of ONNX Runtime's optimized form of {@code g}, saved to {@code file}. */
  public static Map<String, Integer> optimizedOps(Graph g, Path file) throws Exception {
    try (InferenceSession s =
        OrtRuntime.get()
            .open(
                g,
                SessionOptions.defaults()
                    .withThreads(1)
                    .withOptimization(SessionOptions.Optimization.EXTENDED)
                    .savingOptimizedModel(file))) {
      s.inputNames();
    }
    return OnnxModels.read(file).opHistogram();
  }
}
