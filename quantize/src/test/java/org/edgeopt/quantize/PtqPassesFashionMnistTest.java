package org.edgeopt.quantize;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.edgeopt.calibrate.Calibration;
import org.edgeopt.calibrate.CalibrationConfig;
import org.edgeopt.core.data.Batch;
import org.edgeopt.core.data.Dataset;
import org.edgeopt.core.data.Datasets;
import org.edgeopt.core.data.Preprocessing;
import org.edgeopt.core.graph.Graph;
import org.edgeopt.core.graph.Tensor;
import org.edgeopt.core.onnx.OnnxModels;
import org.edgeopt.core.quant.CalibrationTable;
import org.edgeopt.core.runtime.InferenceSession;
import org.edgeopt.core.runtime.OrtRuntime;
import org.edgeopt.core.runtime.SessionOptions;
import org.edgeopt.core.targets.TargetProfiles;
import org.edgeopt.samples.SampleModel;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The optional passes on the Fashion-MNIST sample (depthwise convolutions, ReLU6 as Clip(0, 6)):
 * equalization leaves the FP32 function unchanged, and with per-tensor weights (as accelerators
 * without per-channel weights need) equalization, learned rounding and bias correction recover
 * what plain per-tensor quantization loses.
 */
class PtqPassesFashionMnistTest {
  private static SampleModel sample;
  private static Graph fp32;
  private static Dataset calibration;
  private static Dataset holdout;
  private static CalibrationTable table;

  @BeforeAll
  static void load() throws Exception {
    sample = FashionMnistQuantizationTest.sample();
    if (sample == null) {
      return;
    }
    fp32 = OnnxModels.read(sample.model());
    Preprocessing pre = Preprocessing.parse(sample.preprocess());
    calibration = Datasets.open(sample.calibration().images(), pre, sample.classNames(), null);
    holdout = Datasets.open(sample.holdout().images(), pre, sample.classNames(), null);
    table =
        Calibration.calibrate(
            fp32, calibration, CalibrationConfig.forTarget(TargetProfiles.get("onnxruntime-cpu")));
  }

  private static ModelQuantizer.Outcome quantize(QuantizeConfig config) throws Exception {
    return ModelQuantizer.quantize(
        fp32,
        table,
        config,
        calibration,
        new ModelQuantizer.Provenance("fashion-mnist", null, "fashion-mnist calibration", null));
  }

  @Test
  void equalizationLeavesTheFp32OutputsUnchanged() throws Exception {
    assumeTrue(
        sample != null,
        "the Fashion-MNIST sample model is not available (sample-models not built with it)");
    GraphPreparer.Prepared prepared = GraphPreparer.prepare(fp32, "fashion-mnist");
    CrossLayerEqualization.Result cle = CrossLayerEqualization.apply(prepared.graph());
    cle.changes().forEach(l -> System.out.println("  " + l));
    // Every activation of this model is a ReLU6 (Clip(0, 6)), so only the pair without one
    // between them (the last projection feeding the final 1x1 Conv alone) is equalized.
    assertFalse(cle.scaled().isEmpty(), cle.changes().toString());
    assertFalse(cle.skipped().isEmpty(), cle.changes().toString());
    double worst = 0;
    SessionOptions opts = SessionOptions.defaults().withThreads(2);
    try (InferenceSession a = OrtRuntime.get().open(prepared.graph(), opts);
        InferenceSession b = OrtRuntime.get().open(cle.graph(), opts)) {
      String in = a.inputNames().get(0);
      Iterator<Batch> it = holdout.batches(100, sample.holdout().count());
      while (it.hasNext()) {
        Tensor x = it.next().input().withName(in);
        float[] ya = a.run(Map.of(in, x)).values().iterator().next().toFloats();
        float[] yb = b.run(Map.of(in, x)).values().iterator().next().toFloats();
        double scale = 0;
        for (float v : ya) {
          scale = Math.max(scale, Math.abs(v));
        }
        for (int i = 0; i < ya.length; i++) {
          worst = Math.max(worst, Math.abs(ya[i] - yb[i]) / scale);
        }
      }
    }
    System.out.println(
        "largest output difference after equalization, relative to the largest logit: " + worst);
    assertTrue(worst <= 1e-5, "relative difference " + worst);
  }

  /**
   * Measured (2,000 holdout images, exact INT8, so the same on every CPU): FP32 93.45%; per-tensor
   * 86.65% (drop 6.80, agreement 89.60%); with CLE + bias correction 92.00% (drop 1.45); with all
   * three passes (CLE, learned rounding, bias correction) 92.60% (drop 0.85, agreement 96.65%):
   * the goal of at most 1 point is reached with learned rounding, not without it.
   */
  @Test
  void perTensorWeightsRecoverWithThePasses() throws Exception {
    assumeTrue(
        sample != null,
        "the Fashion-MNIST sample model is not available (sample-models not built with it)");
    QuantizeConfig perTensor =
        QuantizeConfig.defaults().withPerTensorWeightOps(Set.of("Conv", "Gemm", "MatMul"));
    int n = sample.holdout().count();
    Agreement plain = Agreement.measure(fp32, quantize(perTensor).graph(), holdout, 0, n);
    ModelQuantizer.Outcome both =
        quantize(
            perTensor.withCrossLayerEqualization(true).withBiasCorrection(true).withAdaRound(true));
    Agreement passes = Agreement.measure(fp32, both.graph(), holdout, 0, n);
    System.out.println("Fashion-MNIST per-tensor INT8: " + plain);
    System.out.println(
        "Fashion-MNIST per-tensor INT8, CLE + AdaRound + bias correction: " + passes);
    assertEquals(
        List.of("crossLayerEqualization", "adaRound", "biasCorrection"),
        both.report().passes().stream().map(QuantizationReport.PassReport::name).toList());
    assertTrue(plain.dropPoints() >= 4, "plain per-tensor quantization is much worse: " + plain);
    assertTrue(passes.dropPoints() <= 1.0, passes.toString());
    assertTrue(passes.agreementPercent() >= 96.0, passes.toString());
    assertTrue(plain.dropPoints() - passes.dropPoints() >= 4, plain + " vs " + passes);
  }
}
