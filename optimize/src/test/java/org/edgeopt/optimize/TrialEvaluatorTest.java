package org.edgeopt.optimize;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import org.edgeopt.calibrate.Calibration;
import org.edgeopt.calibrate.CalibrationConfig;
import org.edgeopt.calibrate.CalibrationProgress;
import org.edgeopt.core.data.Dataset;
import org.edgeopt.core.data.Datasets;
import org.edgeopt.core.data.Preprocessing;
import org.edgeopt.core.graph.DataType;
import org.edgeopt.core.graph.Graph;
import org.edgeopt.core.graph.Node;
import org.edgeopt.core.targets.TargetProfile;
import org.edgeopt.core.targets.TargetProfiles;
import org.edgeopt.ingest.IngestOptions;
import org.edgeopt.ingest.IngestResult;
import org.edgeopt.ingest.Ingestor;
import org.edgeopt.validate.ValidationReport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Trials the Fashion-MNIST search may not reach in a short run, made and measured directly: an
 * FP16 island, and a 2:4 trial for a TensorRT profile.
 */
class TrialEvaluatorTest {
  @TempDir Path dir;

  private IngestResult ingested;

  private TrialEvaluator evaluator(String target) throws Exception {
    OptimizeRequest request = OptimizerTest.fashion(dir, 0.3, 0, 1).withSamples(100, 300);
    TargetProfile profile = TargetProfiles.get(target);
    ingested =
        new Ingestor()
            .ingest(request.model(), IngestOptions.defaults().withTargets(List.of(profile.name())));
    Ingestor.write(ingested, dir);
    CalibrationConfig cc = CalibrationConfig.forTarget(profile).withSamples(100);
    Dataset data =
        Datasets.open(request.calibration(), Preprocessing.parse(request.preprocess()), null, null);
    return new TrialEvaluator(
        request,
        profile,
        dir.resolve(Ingestor.MODEL_FILE),
        ingested.graph(),
        "test",
        Calibration.collect(ingested.graph(), data, cc, CalibrationProgress.NONE),
        cc,
        data,
        false);
  }

  @Test
  void fallbackLayerBecomesAnFp16IslandWithCastsAndStaysAccurate() throws Exception {
    TrialEvaluator evaluator = evaluator("onnxruntime-cpu");
    AccuracyBar bar = new AccuracyBar(0.3, 0);
    String conv =
        ingested.graph().nodes().stream()
            .filter(n -> n.opType().equals("Conv"))
            .map(Node::name)
            .skip(1)
            .findFirst()
            .orElseThrow();
    TrialConfig fp32 = TrialConfig.int8("minmax", 0, true).withFloatLayers(List.of(conv));
    TrialConfig islands = fp32.withFp16Islands(true);
    assertEquals(fp32.key() + " islands=fp16", islands.key());

    Graph g = evaluator.quantize(islands, false).graph();
    Node layer = g.node(conv).orElseThrow();
    assertEquals(DataType.FLOAT16, g.initializers().get(layer.input(1)).dataType(), "FP16 weights");
    assertTrue(
        g.nodes().stream().filter(n -> n.opType().equals("Cast")).count() >= 2, "casts in and out");
    Graph plain = evaluator.quantize(fp32, false).graph();
    assertEquals(
        DataType.FLOAT,
        plain.initializers().get(plain.node(conv).orElseThrow().input(1)).dataType());

    Trial t = evaluator.evaluate(0, "evolve", islands, dir.resolve("islands.onnx"));
    Trial f = evaluator.evaluate(1, "evolve", fp32, dir.resolve("fp32.onnx"));
    // FP16 carries 11 significant bits: one layer in it moves a few predictions at most.
    assertTrue(Math.abs(t.top1() - f.top1()) <= 0.5, t.top1() + " vs " + f.top1());
    assertTrue(t.modelledSpeedup() > f.modelledSpeedup(), "an FP16 layer is modelled faster");
    ValidationReport.Classification c =
        evaluator.validate(dir.resolve("islands.onnx"), false, bar).classification();
    assertEquals(t.top1(), c.candidateTop1(), 1e-9);
  }

  @Test
  void twoFourTrialForTensorRtIsSparseModelledAndRecalibrated() throws Exception {
    TrialEvaluator evaluator = evaluator("tensorrt-ampere");
    TrialConfig dense = TrialConfig.int8("minmax", 0, false);
    TrialConfig sparse = dense.withTwoFour(true);
    Trial d = evaluator.evaluate(0, "plain", dense, dir.resolve("dense.onnx"));
    Trial s = evaluator.evaluate(1, "prune", sparse, dir.resolve("sparse.onnx"));
    assertTrue(!s.latencyMeasured() && s.latencyMs() == 0, "2:4 is modelled, never timed here");
    assertEquals(s.modelledSpeedup(), s.speedup());
    assertTrue(s.macs() < d.macs(), s.macs() + " vs " + d.macs());
    // Never slower in the model; faster only where a layer is compute-bound (roofline).
    assertTrue(
        s.modelledSpeedup() >= d.modelledSpeedup(),
        s.modelledSpeedup() + " vs " + d.modelledSpeedup());
    // Its own statistics: the sparse graph's calibration table differs from the dense one's.
    assertTrue(
        !evaluator.table(sparse).tensors().equals(evaluator.table(dense).tensors()),
        "the 2:4 graph is calibrated on its own activations");
  }
}
