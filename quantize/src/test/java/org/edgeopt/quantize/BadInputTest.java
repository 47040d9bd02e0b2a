package org.edgeopt.quantize;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.edgeopt.core.EdgeoptException;
import org.edgeopt.core.ExitCode;
import org.edgeopt.core.graph.DataType;
import org.edgeopt.core.graph.Graph;
import org.edgeopt.core.graph.GraphBuilder;
import org.edgeopt.core.graph.Tensor;
import org.edgeopt.core.graph.TensorType;
import org.edgeopt.core.graph.Value;
import org.edgeopt.core.quant.CalibrationTable;
import org.edgeopt.core.quant.TensorRange;
import org.edgeopt.core.testing.TestModels;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Bad models and tables end with invalid input (exit 3) and one line saying what, where and what was expected. */
class BadInputTest {
  static Graph fp32;
  static CalibrationTable table;
  static final ModelQuantizer.Provenance PROV =
      new ModelQuantizer.Provenance("small_cnn.onnx", null, "calibration.json", null);

  @BeforeAll
  static void calibrate() throws Exception {
    fp32 = TestModels.smallCnn(13);
    table = MinMaxCalibration.collect(fp32, QdqQuantizerTest.calibrationBatches().iterator());
  }

  private static EdgeoptException invalid(Graph g, CalibrationTable t, QuantizeConfig c) {
    EdgeoptException e =
        assertThrows(EdgeoptException.class, () -> ModelQuantizer.quantize(g, t, c, null, PROV));
    assertEquals(ExitCode.INVALID_INPUT, e.exitCode());
    assertFalse(e.getMessage().contains("\n"), "one line: " + e.getMessage());
    return e;
  }

  @Test
  void nanWeightsNameTheInitializerAndItsNode() throws Exception {
    GraphBuilder b = fp32.toBuilder();
    float[] w = fp32.initializers().get("dw.w").toFloats();
    w[5] = Float.NaN;
    b.addInitializer(Tensor.ofFloats("dw.w", new long[] {4, 1, 3, 3}, w));
    Graph bad = b.build();
    assertEquals(
        "small_cnn.onnx: initializer 'dw.w' of Conv 'dw' holds NaN at index 5: expected finite weights",
        invalid(bad, table, QuantizeConfig.defaults()).getMessage());
    assertEquals(
        "small_cnn.onnx: initializer 'dw.w' of Conv 'dw' holds NaN at index 5: expected finite weights",
        invalid(bad, null, QuantizeConfig.defaults().withPrecision(Precision.FP16)).getMessage());
  }

  @Test
  void aTableMissingATensorNamesTheTensorAndItsReaders() {
    Map<String, TensorRange> ranges = new LinkedHashMap<>(table.tensors());
    ranges.remove("r1");
    ranges.remove("b1");
    CalibrationTable partial =
        new CalibrationTable(
            table.formatVersion(),
            table.method(),
            table.modelSha256(),
            table.dataSha256(),
            table.samples(),
            table.provenance(),
            ranges);
    assertEquals(
        "calibration.json: no range for tensor 'r1' (output of Relu 'relu1', read by Conv 'dw');"
            + " expected a table calibrated on this model",
        invalid(fp32, partial, QuantizeConfig.defaults()).getMessage());
  }

  @Test
  void aTableOfAnotherModelIsRefused() throws Exception {
    GraphBuilder b = new GraphBuilder("other", 13);
    b.addInput(new Value("features", TensorType.of(DataType.FLOAT, 1, 4)));
    b.addInitializer(Tensor.ofFloats("w", new long[] {4, 2}, TestModels.random(3, 8, 1f)));
    b.add("MatMul", "mm", List.of("features", "w"), List.of("scores"));
    b.addOutput(new Value("scores", TensorType.of(DataType.FLOAT, 1, 2)));
    Graph other = b.build();
    CalibrationTable otherTable =
        MinMaxCalibration.collect(
            other,
            List.of(Tensor.ofFloats("features", new long[] {1, 4}, new float[] {1, 2, 3, 4}))
                .iterator());
    String m = invalid(fp32, otherTable, QuantizeConfig.defaults()).getMessage();
    assertTrue(
        m.startsWith(
            "calibration.json: calibrated on another model: none of its 2 tensors (e.g. 'features') is in"
                + " small_cnn.onnx (the table names a model with SHA-256 "),
        m);
  }

  @Test
  void aRangeThatIsNotANumberIsRefused() {
    Map<String, TensorRange> ranges = new LinkedHashMap<>(table.tensors());
    ranges.put("a1", new TensorRange(0f, Float.NaN, 0f, Float.NaN, "minmax", 1, 0));
    CalibrationTable bad =
        new CalibrationTable(
            table.formatVersion(),
            table.method(),
            table.modelSha256(),
            table.dataSha256(),
            table.samples(),
            table.provenance(),
            ranges);
    assertEquals(
        "calibration.json: tensor 'a1' has range [0.0, NaN]: expected finite numbers with min <= max",
        invalid(fp32, bad, QuantizeConfig.defaults()).getMessage());
  }

  @Test
  void excludingANodeThatDoesNotExistSuggestsNames() {
    String m =
        invalid(fp32, table, QuantizeConfig.defaults().withExclude(Set.of("conv"))).getMessage();
    assertEquals(
        "small_cnn.onnx: cannot keep node 'conv' in float: the model has no node of that name"
            + " (did you mean conv1?)",
        m);
  }

  @Test
  void fallbackWithoutDataIsRefused() {
    String m = invalid(fp32, table, QuantizeConfig.defaults().withFallbackSqnr(30)).getMessage();
    assertEquals(
        "small_cnn.onnx: automatic fallback needs calibration data to measure per-layer SQNR on; none was given",
        m);
  }
}
