package org.edgeopt.calibrate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import org.edgeopt.core.EdgeoptException;
import org.edgeopt.core.data.Preprocessing;
import org.edgeopt.core.io.Hashes;
import org.edgeopt.core.quant.CalibrationTable;
import org.edgeopt.core.quant.TensorRange;
import org.edgeopt.core.targets.TargetProfiles;
import org.edgeopt.samples.SampleModel;
import org.edgeopt.samples.SampleModels;
import org.edgeopt.samples.SharedModels;
import org.junit.jupiter.api.Test;

/** Calibration of real third-party models on real data, from the files the CLI would be given. */
class RealDataCalibrationTest {

  @Test
  void mnist7OnTheFirstThousandTestImages() throws EdgeoptException, IOException {
    Optional<Path> model = SharedModels.find("mnist-7/mnist.onnx");
    Optional<Path> data = SharedModels.find("mnist-t10k");
    assumeTrue(
        model.isPresent() && data.isPresent(), SharedModels.missingReason("mnist-7/mnist.onnx"));
    AtomicLong batches = new AtomicLong();
    CalibrationTable t =
        Calibration.calibrate(
            model.get(),
            data.get(),
            Preprocessing.identity(),
            CalibrationConfig.of(CalibrationMethod.ENTROPY).withSamples(1000).withBatchSize(64),
            (done, total) -> batches.incrementAndGet());
    assertEquals(1000, t.samples());
    assertEquals(1000, batches.get(), "mnist-7 fixes its batch dimension to 1, whatever was asked");
    assertEquals(Hashes.sha256(model.get()), t.modelSha256());
    assertEquals(Hashes.sha256Tree(data.get()), t.dataSha256());
    assertEquals(
        List.of(
            "Convolution110_Output_0",
            "Convolution28_Output_0",
            "Input3",
            "Plus112_Output_0",
            "Plus214_Output_0",
            "Plus30_Output_0",
            "Pooling160_Output_0",
            "Pooling160_Output_0_reshape0",
            "Pooling66_Output_0",
            "ReLU114_Output_0",
            "ReLU32_Output_0",
            "Times212_Output_0"),
        t.tensors().keySet().stream().sorted().toList(),
        "the reshaped weight Parameter193_reshape1 is computed from weights alone and is not calibrated");
    TensorRange input = t.range("Input3");
    assertEquals(0f, input.observedMin());
    assertEquals(255f, input.observedMax(), "raw pixels 0..255");
    assertEquals(0f, t.range("ReLU32_Output_0").min());
    // Reshape only moves values: its output has exactly the statistics of its input.
    assertEquals(t.range("Pooling160_Output_0"), t.range("Pooling160_Output_0_reshape0"));
    for (TensorRange r : t.tensors().values()) {
      assertTrue(r.min() >= r.observedMin() && r.max() <= r.observedMax(), r.toString());
    }
  }

  @Test
  void fashionMnistSampleOnItsCalibrationSplit() throws EdgeoptException {
    SampleModel sample = SampleModels.fashionMnist(); // bundled: missing is a failure, not a skip
    Preprocessing pre = Preprocessing.parse(sample.preprocess());
    CalibrationConfig cfg = CalibrationConfig.forTarget(TargetProfiles.get("onnxruntime-cpu"));
    CalibrationTable t =
        Calibration.calibrate(
            sample.model(),
            sample.calibration().images().getParent(),
            pre,
            cfg,
            CalibrationProgress.NONE);
    assertEquals(sample.calibration().count(), t.samples());
    assertEquals(cfg.method().id(), t.method());
    TensorRange input = t.range(sample.inputName());
    assertEquals(pre.normalize(0, 0), input.observedMin(), 1e-6f);
    assertTrue(input.observedMax() <= pre.normalize(255, 0) + 1e-5f);
    assertTrue(t.range(sample.outputName()) != null, "the logits are calibrated");
    assertTrue(
        t.tensors().size() > 10, "every activation of the CNN, found " + t.tensors().keySet());
  }
}
