package org.edgeopt.quantize;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.edgeopt.core.Version;
import org.edgeopt.core.graph.Graph;
import org.edgeopt.core.onnx.OnnxModels;
import org.edgeopt.core.quant.CalibrationTable;
import org.edgeopt.core.testing.TestModels;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Per-layer SQNR, automatic fallback to float, the report and the provenance stamped into the model. */
class ModelQuantizerTest {
  static Graph fp32;
  static CalibrationTable table;
  static TensorDataset data;
  static final ModelQuantizer.Provenance PROV =
      new ModelQuantizer.Provenance("small_cnn.onnx", "ab12", "calibration.json", "cd34");
  @TempDir Path tmp;

  @BeforeAll
  static void calibrate() throws Exception {
    fp32 = TestModels.smallCnn(13);
    table = MinMaxCalibration.collect(fp32, QdqQuantizerTest.calibrationBatches().iterator());
    data = new TensorDataset(QdqQuantizerTest.calibrationBatches());
  }

  @Test
  void reportsSqnrPerLayerAndWritesModelAndReportTogether() throws Exception {
    ModelQuantizer.Outcome o =
        ModelQuantizer.quantize(fp32, table, QuantizeConfig.defaults(), data, PROV);
    QuantizationReport r = o.report();
    assertEquals(5, r.layers().size());
    assertEquals(64, r.measuredSamples(), "the default sensitivity sample count");
    for (QuantizationReport.LayerReport l : r.layers()) {
      assertFalse(l.isFloat(), l.toString());
      assertNotNull(l.sqnrDb(), l.toString());
      assertTrue(l.sqnrDb() > 20, l.toString());
    }
    // Errors add up along the graph: the first layer is the cleanest.
    assertTrue(r.layers().get(0).sqnrDb() >= r.layers().get(2).sqnrDb());
    assertTrue(
        r.outputSqnrDb() > QdqQuantizerTest.MIN_LOGIT_SQNR_DB, "output SQNR " + r.outputSqnrDb());
    assertTrue(r.top1Agreement() >= 0.9, "top-1 agreement " + r.top1Agreement());
    assertTrue(r.budgetMet());
    assertEquals(1, r.quantizedOps().get("Gemm"));

    Path out = tmp.resolve("model.int8.onnx");
    Path reportFile = o.write(out);
    assertEquals(tmp.resolve("model.int8.quantization.json"), reportFile);
    QuantizationReport back = QuantizationReport.read(reportFile);
    assertEquals(r, back);
    Map<String, String> meta = OnnxModels.read(out).info().metadata();
    assertEquals(Version.get(), meta.get("edgeopt.version"));
    assertEquals("ab12", meta.get("edgeopt.input_model.sha256"));
    assertEquals("cd34", meta.get("edgeopt.calibration.sha256"));
    assertEquals(table.dataSha256(), meta.get("edgeopt.calibration_data.sha256"));
    Map<?, ?> config = new ObjectMapper().readValue(meta.get("edgeopt.quantize.config"), Map.class);
    assertEquals("uint8", config.get("activationType"));
    assertEquals("int8", config.get("precision"));
    try (var files = Files.list(tmp)) {
      assertEquals(2, files.count(), "no temporary files left");
    }
  }

  @Test
  void fallbackReturnsTheWorstLayersToFloatUntilTheBudgetIsMet() throws Exception {
    QuantizationReport plain =
        ModelQuantizer.quantize(fp32, table, QuantizeConfig.defaults(), data, PROV).report();
    double target = plain.outputSqnrDb() + 2;
    ModelQuantizer.Outcome o =
        ModelQuantizer.quantize(
            fp32, table, QuantizeConfig.defaults().withFallbackSqnr(target), data, PROV);
    QuantizationReport r = o.report();
    assertTrue(r.budgetMet());
    assertTrue(r.outputSqnrDb() >= target, r.outputSqnrDb() + " < " + target);
    assertFalse(r.fallback().isEmpty());
    QuantizationReport.FallbackStep first = r.fallback().get(0);
    // The first candidate is the layer that added the most noise in the plain run.
    List<QuantizationReport.LayerReport> ranked =
        plain.layers().stream()
            .sorted(Comparator.comparingDouble(QuantizationReport.LayerReport::addedSqnrDb))
            .toList();
    assertEquals(ranked.get(first.candidatesTried() - 1).node(), first.node());
    assertEquals(plain.outputSqnrDb(), first.outputSqnrDbBefore(), 1e-9);
    for (QuantizationReport.FallbackStep step : r.fallback()) {
      assertTrue(
          step.outputSqnrDbAfter() > step.outputSqnrDbBefore()
              || step.candidatesTried() == FloatFallback.TRIALS_PER_STEP,
          "a step keeps a gain unless it tried its limit: " + step);
    }
    System.out.println(
        "fallback to " + target + " dB: " + r.fallback() + ", output " + r.outputSqnrDb() + " dB");
    Set<String> floats =
        r.floatLayers().stream()
            .map(QuantizationReport.LayerReport::node)
            .collect(Collectors.toSet());
    assertEquals(
        r.fallback().stream()
            .map(QuantizationReport.FallbackStep::node)
            .collect(Collectors.toSet()),
        floats);
    assertTrue(floats.size() < r.layers().size(), "the budget is met before every layer is float");
    QuantizationReport.LayerReport firstFloat =
        r.layers().stream().filter(l -> l.node().equals(first.node())).findFirst().orElseThrow();
    assertTrue(firstFloat.reason().startsWith("fallback 1: added-noise SQNR"), firstFloat.reason());
  }

  @Test
  void anUnreachableBudgetEndsWithEveryLayerInFloatAndExactOutputs() throws Exception {
    QuantizationReport r =
        ModelQuantizer.quantize(
                fp32, table, QuantizeConfig.defaults().withFallbackSqnr(200), data, PROV)
            .report();
    assertEquals(5, r.floatLayers().size());
    assertEquals(Double.POSITIVE_INFINITY, r.outputSqnrDb());
    assertTrue(r.budgetMet());
  }

  @Test
  void aTopOneBudgetIsMeasuredOnTheCalibrationSamples() throws Exception {
    QuantizationReport r =
        ModelQuantizer.quantize(
                fp32, table, QuantizeConfig.defaults().withFallbackTop1Agreement(1.0), data, PROV)
            .report();
    assertEquals(1.0, r.top1Agreement(), 0.0);
    assertTrue(r.budgetMet());
  }
}
