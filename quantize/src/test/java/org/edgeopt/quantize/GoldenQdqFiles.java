package org.edgeopt.quantize;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.util.DefaultIndenter;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectWriter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.edgeopt.calibrate.Calibration;
import org.edgeopt.calibrate.CalibrationConfig;
import org.edgeopt.calibrate.CalibrationMethod;
import org.edgeopt.core.EdgeoptException;
import org.edgeopt.core.data.Dataset;
import org.edgeopt.core.data.Datasets;
import org.edgeopt.core.data.Preprocessing;
import org.edgeopt.core.graph.Graph;
import org.edgeopt.core.graph.Node;
import org.edgeopt.core.graph.Tensor;
import org.edgeopt.core.onnx.OnnxModels;
import org.edgeopt.core.quant.CalibrationTable;
import org.edgeopt.samples.SampleModel;
import org.edgeopt.samples.SampleModels;

/**
 * Makes the golden QDQ structure of the Fashion-MNIST sample that {@link GoldenQdqStructureTest}
 * checks: the sample's FP32 model, calibrated min/max on the first 256 samples of its calibration
 * split, quantized with the default (onnxruntime-cpu) configuration. Not a test; rerun it after a
 * deliberate change to the quantizer and review the diff:
 *
 * <pre>
 * mvn -B -q -o -pl quantize -am test-compile dependency:build-classpath \
 *     -Dmdep.includeScope=test -Dmdep.outputFile=/tmp/quantize-cp.txt
 * java -Xss64m -cp quantize/target/test-classes:quantize/target/classes:$(cat /tmp/quantize-cp.txt) \
 *     org.edgeopt.quantize.GoldenQdqFiles quantize/src/test/resources
 * </pre>
 *
 * <p>(Run from the repository root; {@code -Xss64m} because ONNX Runtime's session creation can
 * overflow the launcher's main-thread stack with a class path this long.)
 *
 * <p>The description (format {@value #FORMAT}) holds what the quantizer decides: every node in
 * order with its inputs, outputs and attributes, every initializer's type and shape, the graph's
 * inputs and outputs. It leaves out scale and zero-point values: they come from ranges measured
 * in float by ONNX Runtime, whose last bits differ between CPUs; accuracy tests check the values.
 */
public final class GoldenQdqFiles {
  /** The version of the description's layout; bump it when the layout (not the model) changes. */
  static final int FORMAT = 1;

  /** The golden file, a classpath resource of the quantize tests. */
  static final String GOLDEN =
      "org/edgeopt/quantize/golden/fashion-mnist.int8.qdq-v" + FORMAT + ".json";

  private static final int CALIBRATION_SAMPLES = 256;

  /** One array element per line, "\n" on every OS, so a change reads as a line in the diff. */
  private static final ObjectWriter JSON =
      new ObjectMapper()
          .writer(
              new DefaultPrettyPrinter()
                  .withArrayIndenter(new DefaultIndenter("  ", "\n"))
                  .withObjectIndenter(new DefaultIndenter("  ", "\n")));

  private GoldenQdqFiles() {}

  /** Quantizes the Fashion-MNIST sample as the golden file describes it, now. */
  static Graph quantizedSample() throws EdgeoptException {
    SampleModel s = SampleModels.fashionMnist();
    Graph fp32 = OnnxModels.read(s.model());
    Dataset calibration =
        Datasets.open(
            s.calibration().images(), Preprocessing.parse(s.preprocess()), s.classNames(), null);
    CalibrationTable table =
        Calibration.calibrate(
            fp32,
            calibration,
            CalibrationConfig.of(CalibrationMethod.MINMAX)
                .withSamples(CALIBRATION_SAMPLES)
                .withBatchSize(64));
    return ModelQuantizer.quantize(
            fp32,
            table,
            QuantizeConfig.defaults(),
            null,
            new ModelQuantizer.Provenance(
                s.name(), null, "fashion-mnist minmax " + CALIBRATION_SAMPLES, null))
        .graph();
  }

  /** Returns the structure description of a QDQ graph, as indented JSON. */
  static String describe(Graph g) {
    Map<String, Object> d = new LinkedHashMap<>();
    d.put("format", "edgeopt QDQ structure v" + FORMAT);
    d.put("opset", g.opset());
    d.put("inputs", g.inputs().stream().map(v -> v.name() + ": " + v.type()).toList());
    d.put("outputs", g.outputs().stream().map(v -> v.name() + ": " + v.type()).toList());
    d.put("opCounts", new TreeMap<>(g.opHistogram()));
    List<String> nodes = new ArrayList<>();
    for (Node n : g.nodes()) {
      StringBuilder line =
          new StringBuilder(n.opType())
              .append(" '")
              .append(n.name())
              .append("' ")
              .append(n.inputs())
              .append(" -> ")
              .append(n.outputs());
      n.attributes().values().stream()
          .map(Object::toString)
          .sorted()
          .forEach(a -> line.append(' ').append(a));
      nodes.add(line.toString());
    }
    d.put("nodes", nodes);
    Map<String, String> initializers = new LinkedHashMap<>();
    for (Map.Entry<String, Tensor> e : g.initializers().entrySet()) {
      initializers.put(e.getKey(), e.getValue().type().toString());
    }
    d.put("initializers", initializers);
    try {
      return JSON.writeValueAsString(d) + "\n";
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("a structure description could not be turned into JSON", e);
    }
  }

  /** Rewrites the golden file under the test resource root given as the only argument. */
  public static void main(String[] args) throws IOException, EdgeoptException {
    Path file = Path.of(args.length > 0 ? args[0] : "quantize/src/test/resources").resolve(GOLDEN);
    Files.createDirectories(file.getParent());
    Files.writeString(file, describe(quantizedSample()));
    System.out.println("wrote " + file);
  }
}
