package org.edgeopt.compile.tflite;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.edgeopt.core.EdgeoptException;
import org.edgeopt.core.graph.Graph;
import org.edgeopt.core.graph.Node;
import org.edgeopt.core.graph.Value;

/**
 * Builds the golden-file model and regenerates its golden description (not a test): run
 * {@code main} from the module folder after a deliberate change to the lowering, the writer or the
 * quantizer (test class path: {@code dependency:build-classpath -Dmdep.includeScope=test}, then
 * {@code java -Xss64m -cp target/test-classes:target/classes:<class path> ...GoldenFiles .}),
 * then review the diff of {@value #GOLDEN}.
 */
public final class GoldenFiles {
  /** The golden description, named by the TFLite schema version it was written with. */
  static final String GOLDEN = "src/test/resources/golden/small-cnn.int8.tflite-v3.json";

  private GoldenFiles() {}

  /**
   * The core test CNN with BatchNormalization folded, quantized by the quantize module for the
   * edgetpu profile with fixed ranges (input [-2, 2], activations [-4, 4], ReLU/Clip outputs
   * [0, 6]) so the result does not depend on any runtime. The quantizer folds each ReLU/ReLU6 into
   * its layer's output range (zero point at -128, scale 6/255), so the convolutions carry no fused
   * activation: the int8 range itself clamps at 0 and 6.
   */
  static Graph goldenQdqModel() throws EdgeoptException {
    Graph g = TestGraphs.smallCnn();
    Map<String, float[]> ranges = new HashMap<>();
    for (Value v : g.inputs()) {
      ranges.put(v.name(), new float[] {-2f, 2f});
    }
    for (Node n : g.nodes()) {
      boolean relu = n.opType().equals("Relu") || n.opType().equals("Clip");
      ranges.put(n.output(), relu ? new float[] {0f, 6f} : new float[] {-4f, 4f});
    }
    return EdgeTpuQuantization.quantize(g, ranges);
  }

  /** Returns the golden model lowered with int8 I/O, as flatbuffer bytes. */
  static byte[] goldenTflite() throws EdgeoptException {
    return TestGraphs.lowerToBytes(goldenQdqModel(), IoType.INT8);
  }

  /** Rewrites the golden description; the optional argument is the module folder. */
  public static void main(String[] args) throws Exception {
    Path module = Path.of(args.length > 0 ? args[0] : ".");
    Path golden = module.resolve(GOLDEN);
    Files.createDirectories(golden.getParent());
    Files.writeString(golden, TfliteModelSummary.toJson(goldenTflite(), "golden"));
    System.out.println("wrote " + golden);
  }
}
