package org.edgeopt.quantize;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
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
import org.edgeopt.samples.SharedModels;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * mnist-7 (a real CNTK export, opset 7, raw 0..255 pixels): calibrate on the first 1,000 MNIST
 * test images, evaluate on the other 9,000. Acceptance: top-1 drop at most 0.2 points and
 * top-1 agreement with FP32 at least 99.5%.
 */
class Mnist7QuantizationTest {
  @TempDir Path tmp;

  @Test
  void int8KeepsAccuracyOnTheHeldOutNineThousand() throws Exception {
    Optional<Path> model = SharedModels.find("mnist-7/mnist.onnx");
    Optional<Path> data = SharedModels.find("mnist-t10k");
    assumeTrue(
        model.isPresent() && data.isPresent(), SharedModels.missingReason("mnist-7/mnist.onnx"));
    Graph fp32 = OnnxModels.read(model.get());
    Dataset mnist = Datasets.open(data.get(), Preprocessing.identity(), null, null);
    // The calibrate module, with the default method of the onnxruntime-cpu profile.
    CalibrationTable table =
        Calibration.calibrate(
            fp32,
            mnist,
            CalibrationConfig.forTarget(TargetProfiles.get("onnxruntime-cpu")).withSamples(1000));
    ModelQuantizer.Outcome out =
        ModelQuantizer.quantize(
            fp32,
            table,
            QuantizeConfig.defaults(),
            mnist,
            new ModelQuantizer.Provenance(
                model.get().toString(),
                Hashes.sha256(model.get()),
                "mnist-7 calibration (" + table.method() + ")",
                null));
    out.report().layers().forEach(System.out::println);
    System.out.println("preparation: " + out.report().preparation());
    Map<String, Integer> ops = OrtGraphs.optimizedOps(out.graph(), tmp.resolve("mnist7.opt.onnx"));
    System.out.println("optimized: " + ops);
    Agreement a = Agreement.measure(fp32, out.graph(), mnist, 1000, 9000);
    System.out.println("mnist-7 INT8 (calibrated on 1,000, evaluated on 9,000): " + a);
    assertEquals(9000, a.samples());
    assertTrue(a.dropPoints() <= 0.2, a.toString());
    assertTrue(a.agreementPercent() >= 99.5, a.toString());
    assertEquals(
        0,
        Agreement.hostVersusExactDifferences(out.graph(), mnist, 1000, 9000),
        "the portable model computes the same integers on this host's kernels as on an exact CPU");
    assertEquals(2, ops.getOrDefault("QLinearConv", 0), ops.toString());
    assertEquals(0, ops.getOrDefault("Conv", 0), ops.toString());
  }

  /** FP16 of the opset-7 original: ONNX Runtime casts around what it has no half kernel for. */
  @Test
  void fp16AgreesWithFp32() throws Exception {
    Optional<Path> model = SharedModels.find("mnist-7/mnist.onnx");
    Optional<Path> data = SharedModels.find("mnist-t10k");
    assumeTrue(
        model.isPresent() && data.isPresent(), SharedModels.missingReason("mnist-7/mnist.onnx"));
    Graph fp32 = OnnxModels.read(model.get());
    Dataset mnist = Datasets.open(data.get(), Preprocessing.identity(), null, null);
    ModelQuantizer.Outcome out =
        ModelQuantizer.quantize(
            fp32,
            null,
            QuantizeConfig.defaults().withPrecision(Precision.FP16),
            mnist,
            new ModelQuantizer.Provenance(model.get().toString(), null, "", null));
    Agreement a = Agreement.measure(fp32, out.graph(), mnist, 1000, 2000);
    System.out.println(
        "mnist-7 FP16: " + a + ", output SQNR " + out.report().outputSqnrDb() + " dB");
    // Tolerance: FP16 keeps 11 significant bits; top-1 may flip only on near ties.
    assertTrue(a.agreementPercent() >= 99.9, a.toString());
    assertTrue(out.report().outputSqnrDb() >= 40, "output SQNR " + out.report().outputSqnrDb());
  }
}
