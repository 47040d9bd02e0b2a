package org.edgeopt.quantize;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Map;
import org.edgeopt.calibrate.Calibration;
import org.edgeopt.calibrate.CalibrationConfig;
import org.edgeopt.core.data.Dataset;
import org.edgeopt.core.data.Datasets;
import org.edgeopt.core.data.Preprocessing;
import org.edgeopt.core.graph.Graph;
import org.edgeopt.core.io.Hashes;
import org.edgeopt.core.onnx.OnnxModels;
import org.edgeopt.core.quant.CalibrationTable;
import org.edgeopt.core.targets.TargetProfiles;
import org.edgeopt.samples.SampleModel;
import org.edgeopt.samples.SampleModels;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The project's Fashion-MNIST sample: calibrate (the default method of the onnxruntime-cpu profile) on its calibration split, evaluate on
 * its holdout. Acceptance: top-1 drop at most 0.3 points, agreement at least 99%, the same outputs on
 * the host's own INT8 kernels as in exact arithmetic; every Conv fused in ONNX Runtime.
 */
class FashionMnistQuantizationTest {
  @TempDir Path tmp;

  /** The bundled sample is part of the build: its absence is a failure, never a skip. */
  static SampleModel sample() {
    return SampleModels.fashionMnist();
  }

  @Test
  void int8DropsAtMostThreeTenthsOfAPointOnTheHoldout() throws Exception {
    SampleModel s = sample();
    Graph fp32 = OnnxModels.read(s.model());
    Preprocessing pre = Preprocessing.parse(s.preprocess());
    Dataset calibration = Datasets.open(s.calibration().images(), pre, s.classNames(), null);
    Dataset holdout = Datasets.open(s.holdout().images(), pre, s.classNames(), null);
    CalibrationTable table =
        Calibration.calibrate(
            fp32, calibration, CalibrationConfig.forTarget(TargetProfiles.get("onnxruntime-cpu")));
    ModelQuantizer.Outcome out =
        ModelQuantizer.quantize(
            fp32,
            table,
            QuantizeConfig.defaults(),
            calibration,
            new ModelQuantizer.Provenance(
                s.model().toString(),
                Hashes.sha256(s.model()),
                "fashion-mnist calibration (" + table.method() + ")",
                null));
    out.report().layers().forEach(l -> System.out.println("  " + l));
    Map<String, Integer> ops = OrtGraphs.optimizedOps(out.graph(), tmp.resolve("fashion.opt.onnx"));
    System.out.println("Fashion-MNIST INT8 optimized: " + ops);
    Agreement a = Agreement.measure(fp32, out.graph(), holdout, 0, s.holdout().count());
    System.out.println(
        "Fashion-MNIST INT8 "
            + table.method()
            + " (calibration "
            + s.calibration().count()
            + ", holdout "
            + s.holdout().count()
            + "): "
            + a);
    assertEquals(
        s.fp32HoldoutCorrect(), a.fp32Correct(), "FP32 matches the sample's recorded accuracy");
    assertTrue(a.dropPoints() <= 0.3, a.toString());
    assertTrue(a.agreementPercent() >= 99.0, a.toString());
    // The portable profile's model computes the same integers on this host's own kernels as on an
    // exact (VNNI, ARM64) CPU, so the figures above hold on every CPU.
    assertEquals(
        0, Agreement.hostVersusExactDifferences(out.graph(), holdout, 0, s.holdout().count()));
    assertEquals(0, ops.getOrDefault("Conv", 0), ops.toString());
  }
}
