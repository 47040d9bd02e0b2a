package org.edgeopt.validate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.edgeopt.core.data.Datasets;
import org.edgeopt.core.data.Preprocessing;
import org.edgeopt.core.graph.Graph;
import org.edgeopt.core.onnx.OnnxChecker;
import org.edgeopt.core.onnx.OnnxModels;
import org.edgeopt.samples.SharedModels;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A third-party model on real data: mnist-7 (a CNTK export, opset 7, fixed batch 1) on the 10,000
 * MNIST test images, against an INT8 QDQ copy made here after upgrading it to opset 13.
 */
class Mnist7Test {
  @TempDir Path dir;

  @Test
  void fp32TopOneIsTheKnown9891AndInt8StaysClose() throws Exception {
    Optional<Path> model = SharedModels.find("mnist-7/mnist.onnx");
    Optional<Path> images = SharedModels.find("mnist-t10k");
    assumeTrue(model.isPresent(), SharedModels.missingReason("mnist-7/mnist.onnx"));
    assumeTrue(images.isPresent(), SharedModels.missingReason("mnist-t10k"));

    Graph upgraded = OnnxChecker.convertOpset(OnnxModels.read(model.get()), 13, "mnist-7");
    var calibration = Datasets.open(images.get(), Preprocessing.identity(), null, null);
    Graph int8 =
        QdqCandidates.quantize(
            upgraded, QdqCandidates.calibrate(upgraded, calibration, 200), null, 1f);
    Path candidate = dir.resolve("mnist.int8.onnx");
    OnnxModels.write(int8, candidate);

    // Raw 0..255 pixels, as mnist-7 expects; one sample per run, since its batch is fixed at 1.
    ValidationReport r =
        Validator.validate(
            ValidationConfig.of(model.get(), candidate, images.get())
                .withThresholds(new Thresholds(0.5, 99.0, null, null))
                .withLatency(50, 5)
                .withDiagnosisBatches(1));
    DebugReports.keep(r, "mnist-7");
    ValidationReport.Classification c = r.classification();
    assertEquals(10_000, c.samples());
    assertEquals(9891, c.referenceCorrect(), "mnist-7's published FP32 top-1 is 98.91%");
    assertEquals(98.91, c.referenceTop1(), 1e-9);
    // INT8 weights and activations, per tensor: a real quantized model, within half a point of
    // FP32.
    assertTrue(Math.abs(c.top1DropPoints()) <= 0.5, "top-1 drop " + c.top1DropPoints());
    assertTrue(c.agreementPercent() >= 99.0, "agreement " + c.agreementPercent());
    assertTrue(r.passed(), r.gate().reasons().toString());

    LayerDiagnosis d = r.diagnosis();
    assertTrue(d.ran(), d.reason());
    assertEquals(32, d.samples(), "one diagnosis batch of 32 samples, fed one at a time");
    assertTrue(
        d.layers().stream()
            .filter(LayerDiagnosis.LayerError::reducedPrecision)
            .allMatch(e -> e.matchedBy().equals("node name") && e.addedBy().equals("isolated")),
        d.layers().toString());
    // two Conv and one MatMul with int8 weights, and the two layers whose outputs are quantized on
    // their way
    // into the second Conv and the MatMul
    assertEquals(
        List.of("Conv", "Conv", "MatMul"),
        d.layers().stream()
            .filter(
                e ->
                    e.reducedPrecision()
                        && !e.opType().equals("MaxPool")
                        && !e.opType().equals("Reshape"))
            .map(LayerDiagnosis.LayerError::opType)
            .sorted()
            .toList(),
        d.layers().toString());
    assertEquals(
        5,
        d.layers().stream().filter(LayerDiagnosis.LayerError::reducedPrecision).count(),
        d.layers().toString());
    assertEquals(d.layers().get(0).node(), d.excludeFirst());
    assertEquals("float[1, 1, 28, 28]", r.reference().inputType());
    assertEquals(50, r.latency().candidate().samplesMs().size());
  }
}
