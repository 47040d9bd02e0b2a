package org.edgeopt.validate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.edgeopt.core.data.Dataset;
import org.edgeopt.core.data.Datasets;
import org.edgeopt.core.data.Preprocessing;
import org.edgeopt.core.graph.Graph;
import org.edgeopt.core.onnx.OnnxModels;
import org.edgeopt.samples.SampleModel;
import org.edgeopt.samples.SampleModels;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The acceptance run on the Fashion-MNIST sample: FP32 against an INT8 QDQ model (int8 weights,
 * uint8 activations calibrated on the sample's calibration split) passes the README's gate; a copy
 * with one layer's weights quantized at 16x the right scale (about 4 bits left) fails a zero-drop
 * gate and is ranked first by the per-layer diagnosis.
 */
class FashionMnistTest {
  /** The README's example gate. */
  static final Thresholds README_GATE = new Thresholds(1.0, 97.0, null, null);

  @TempDir static Path dir;
  static SampleModel sample;
  static Graph fp32;
  static Map<String, float[]> ranges;
  static String damagedLayer;

  @BeforeAll
  static void quantize() throws Exception {
    sample = SampleModels.fashionMnist();
    fp32 = OnnxModels.read(sample.model());
    Dataset calibration =
        Datasets.open(
            sample.calibration().images(), Preprocessing.parse(sample.preprocess()), null, null);
    ranges = QdqCandidates.calibrate(fp32, calibration, sample.calibration().count());
    // The stem convolution: every later layer reads what it computes.
    damagedLayer =
        fp32.nodes().stream()
            .filter(n -> n.opType().equals("Conv"))
            .findFirst()
            .orElseThrow()
            .name();
  }

  private static ValidationConfig config(Path candidate) {
    return ValidationConfig.of(sample.model(), candidate, sample.holdout().images())
        .withPreprocess(sample.preprocess())
        .withClassNames(sample.classNames());
  }

  @Test
  void int8PassesTheReadmeGate() throws Exception {
    Path candidate = dir.resolve("fashion-mnist.int8.onnx");
    OnnxModels.write(QdqCandidates.quantize(fp32, ranges, null, 1f), candidate);
    ValidationReport r = Validator.validate(config(candidate).withThresholds(README_GATE));
    ReportWriter.write(r, dir.resolve("int8"));
    DebugReports.keep(r, "fashion-mnist-int8");
    ValidationReport.Classification c = r.classification();
    assertEquals(sample.holdout().count(), c.samples());
    assertEquals(
        sample.fp32HoldoutCorrect(), c.referenceCorrect(), "FP32 top-1 as recorded in sample.json");
    assertTrue(r.passed(), TextSummary.render(r));
    assertTrue(r.diagnosis().ran(), r.diagnosis().reason());
    assertTrue(
        r.diagnosis().layers().stream()
            .filter(LayerDiagnosis.LayerError::reducedPrecision)
            .allMatch(e -> e.addedBy().equals("isolated")),
        r.diagnosis().layers().toString());
    screenshotForTheDocs(dir.resolve("int8").resolve(ReportWriter.HTML));
  }

  @Test
  void damagedLayerFailsAZeroDropGateAndRanksFirst() throws Exception {
    Path candidate = dir.resolve("fashion-mnist.damaged.onnx");
    OnnxModels.write(QdqCandidates.quantize(fp32, ranges, damagedLayer, 16f), candidate);
    ValidationReport r =
        Validator.validate(
            config(candidate)
                .withThresholds(Thresholds.none().withMaxTop1DropPoints(0.0))
                .withLatency(0, 0));
    DebugReports.keep(r, "fashion-mnist-damaged");
    assertFalse(r.passed(), TextSummary.render(r));
    assertTrue(r.classification().top1DropPoints() > 0, TextSummary.render(r));
    assertEquals(
        damagedLayer, r.diagnosis().layers().get(0).node(), r.diagnosis().layers().toString());
    assertEquals(damagedLayer, r.diagnosis().excludeFirst());
  }

  @Test
  void torchScriptTwinAgreesWithTheOnnxExport() throws Exception {
    ValidationReport r = Validator.validate(config(sample.torchscript()).withLatency(10, 2));
    assertTrue(r.classification().agreementPercent() >= 99.9, TextSummary.render(r));
    // the same network in two runtimes: float32 rounding only
    assertTrue(r.outputs().sqnrDb() > 60, TextSummary.render(r));
    assertFalse(r.diagnosis().ran());
    assertTrue(r.candidate().runtime().startsWith("torchscript"), r.candidate().runtime());
  }

  /**
   * Writes {@code docs/images/report.png} when {@code -Dedgeopt.docs.screenshot=PATH} is given:
   * the README's picture of a report, regenerated from this test.
   */
  private static void screenshotForTheDocs(Path html) throws Exception {
    String target = System.getProperty("edgeopt.docs.screenshot");
    if (target == null) {
      return;
    }
    assumeTrue(Chromium.available(), Chromium.missingReason());
    Path png = dir.resolve("report.png");
    Chromium.Result r = Chromium.screenshot(html, dir, png, 1200, 2600);
    assertEquals(0, r.exitCode(), r.stderr());
    Files.createDirectories(Path.of(target).toAbsolutePath().getParent());
    Files.copy(png, Path.of(target), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
  }
}
