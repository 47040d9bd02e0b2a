package org.edgeopt.compile.tensorrt;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.edgeopt.core.EdgeoptException;
import org.edgeopt.core.ExitCode;
import org.edgeopt.core.graph.DataType;
import org.edgeopt.core.graph.Graph;
import org.edgeopt.core.graph.Node;
import org.edgeopt.core.graph.Tensor;
import org.edgeopt.core.quant.CalibrationTable;
import org.edgeopt.core.runtime.InferenceSession;
import org.edgeopt.core.runtime.OrtRuntime;
import org.edgeopt.core.runtime.SessionOptions;
import org.edgeopt.core.testing.TestModels;
import org.junit.jupiter.api.Test;

class TensorRtQdqExporterTest {
  /** Int8 logits may differ from FP32 by at most this fraction of the FP32 logits' largest magnitude. */
  private static final float RELATIVE_TOLERANCE = 0.05f;

  @Test
  void smallCnnExportQuantizesEveryWeightedLayerSymmetricallyAndRunsCloseToFp32() throws Exception {
    Graph g = TestModels.smallCnn(13);
    CalibrationTable table = MinMaxRanges.ofTensors(g, TrtTestModels.smallCnnInputs(4, 8));
    TensorRtQdqExport e = TensorRtQdqExporter.fromCalibration(g, table, "smallCnn");

    assertEquals(new TreeSet<>(List.of("conv1", "dw", "fc")), new TreeSet<>(e.int8Layers()));
    assertFalse(
        e.graph().opHistogram().containsKey("BatchNormalization"),
        "BN folded before weights are quantized");
    QdqPlacementReport report = TensorRtQdqChecker.check(e.graph());
    assertTrue(report.ok(), report.describe());
    for (Node n : e.graph().nodes()) {
      if (QdqStripper.isQ(n) || QdqStripper.isDq(n)) {
        Tensor zp = e.graph().initializers().get(n.input(2));
        assertEquals(DataType.INT8, zp.dataType(), n.name());
        for (float z : zp.toFloats()) {
          assertEquals(0f, z, n.name());
        }
      }
    }
    assertOutputsClose(g, e.graph(), TestModels.smallCnnInput(999, 16), "input");
  }

  @Test
  void residualAddGetsItsResidualInputQuantizedAndGemmWeightsMoveToAxisZero() throws Exception {
    Graph g = TrtTestModels.residualNet();
    CalibrationTable table = MinMaxRanges.ofTensors(g, TrtTestModels.residualInputs(4, 8));
    TensorRtQdqExport e = TensorRtQdqExporter.fromCalibration(g, table, "residual");

    assertEquals(List.of("residual"), e.residualAdds());
    Graph q = e.graph();
    Map<String, Node> producers = q.producers();
    Node add = q.node("residual").orElseThrow();
    assertEquals("cb", add.input(0), "the conv branch stays float so the add fuses into conv_b");
    assertTrue(
        QdqStripper.isDq(producers.get(add.input(1))),
        "the residual input comes from a DequantizeLinear");
    Node fc = q.node("fc").orElseThrow();
    assertEquals(1, fc.intAttr("transB", 0));
    Node fcWeight = producers.get(fc.input(1));
    assertEquals(0, fcWeight.intAttr("axis", 1));
    assertEquals(
        3, q.initializers().get(fcWeight.input(1)).elementCount(), "one scale per output channel");
    QdqPlacementReport report = TensorRtQdqChecker.check(q);
    assertTrue(report.ok(), report.describe());
    assertOutputsClose(
        g,
        q,
        Tensor.ofFloats("x", new long[] {8, 4, 6, 6}, TestModels.random(77, 8 * 144, 1.5f)),
        "x");
  }

  @Test
  void reExportingAnExportKeepsTheSameIntegersAndScales() throws Exception {
    Graph g = TrtTestModels.residualNet();
    CalibrationTable table = MinMaxRanges.ofTensors(g, TrtTestModels.residualInputs(2, 8));
    Graph first = TensorRtQdqExporter.fromCalibration(g, table, "residual").graph();
    QdqModel parts = QdqStripper.strip(first, "first export");
    assertTrue(parts.hadQdq());
    assertTrue(parts.floatLayers().isEmpty());
    Graph second = TensorRtQdqExporter.fromQdq(parts, null, "second export").graph();
    int compared = 0;
    for (Node n : first.nodes()) {
      if (WeightedLayers.isWeighted(n)) {
        Tensor a = int8Weight(first, n);
        Tensor b = int8Weight(second, second.node(n.name()).orElseThrow());
        assertEquals(a.data(), b.data(), "int8 weights of " + n.describe());
        compared++;
      }
    }
    assertEquals(3, compared);
    assertArrayEquals(
        first.initializers().get("ra_scale").toFloats(),
        second.initializers().get("ra_scale").toFloats());
  }

  @Test
  void layersTheQuantizerLeftInFloatStayFloat() throws Exception {
    Graph g = TrtTestModels.residualNet();
    CalibrationTable table = MinMaxRanges.ofTensors(g, TrtTestModels.residualInputs(2, 8));
    Graph first =
        TensorRtQdqExporter.export(
                g, table.tensors(), Map.of(), java.util.Set.of("conv_b"), "residual")
            .graph();
    QdqModel parts = QdqStripper.strip(first, "partial");
    assertEquals(java.util.Set.of("conv_b"), parts.floatLayers());
    TensorRtQdqExport again = TensorRtQdqExporter.fromQdq(parts, null, "partial");
    assertEquals(List.of("conv_b"), again.floatLayers());
    assertTrue(again.residualAdds().isEmpty(), "no fusion to set up after a float layer");
    assertTrue(TensorRtQdqChecker.check(again.graph()).ok());
  }

  @Test
  void missingRangeOfAWeightedInputIsAnInvalidInputNamingTensorAndNode() throws Exception {
    Graph g = TrtTestModels.residualNet();
    CalibrationTable table = MinMaxRanges.ofTensors(g, TrtTestModels.residualInputs(1, 2));
    Map<String, org.edgeopt.core.quant.TensorRange> partial =
        new java.util.HashMap<>(table.tensors());
    partial.remove("ra");
    EdgeoptException ex =
        assertThrows(
            EdgeoptException.class,
            () ->
                TensorRtQdqExporter.export(g, partial, Map.of(), java.util.Set.of(), "model.onnx"));
    assertEquals(ExitCode.INVALID_INPUT, ex.exitCode());
    assertTrue(
        ex.getMessage().contains("'ra'") && ex.getMessage().contains("Conv 'conv_b'"),
        ex.getMessage());
  }

  private static Tensor int8Weight(Graph g, Node layer) {
    Node dq = g.producers().get(layer.input(1));
    return g.initializers().get(dq.input(0));
  }

  /** Runs both graphs in ONNX Runtime and checks the int8 logits against FP32 within the stated tolerance. */
  static void assertOutputsClose(Graph fp32, Graph int8, Tensor input, String inputName)
      throws Exception {
    SessionOptions o = SessionOptions.defaults().withThreads(1);
    try (InferenceSession a = OrtRuntime.get().open(fp32, o);
        InferenceSession b = OrtRuntime.get().open(int8, o)) {
      Tensor x = a.run(Map.of(inputName, input)).values().iterator().next();
      Tensor y = b.run(Map.of(inputName, input)).values().iterator().next();
      float tol = RELATIVE_TOLERANCE * TrtTestModels.maxAbs(x);
      float diff = TrtTestModels.maxAbsDiff(x, y);
      assertTrue(diff <= tol, "int8 vs fp32 max |diff| " + diff + " > tolerance " + tol);
      assertTrue(diff > 0, "the int8 model must actually quantize");
    }
  }
}
