package org.edgeopt.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.edgeopt.samples.SampleModel;
import org.edgeopt.samples.SampleModels;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PipelineTest {
  @TempDir Path out;

  private static PipelineConfig config(Path out, int holdoutSamples, double maxP95) {
    return config(out, holdoutSamples, maxP95, null);
  }

  private static PipelineConfig config(
      Path out, int holdoutSamples, double maxP95, PipelineConfig.Packaging packaging) {
    SampleModel s = SampleModels.fashionMnist();
    return new PipelineConfig(
        s.model(),
        null,
        "onnxruntime-cpu",
        "int8",
        s.preprocess(),
        s.classNames(),
        new PipelineConfig.Calibration(s.calibration().images().getParent(), "minmax", 200, null),
        null,
        new PipelineConfig.Holdout(s.holdout().images().getParent(), null, holdoutSamples),
        new PipelineConfig.Gate(1.0, 97.0, maxP95),
        null,
        out,
        packaging);
  }

  /** A package: section signing with a fresh key written to {@code keys}. */
  private static PipelineConfig.Packaging packaging(Path keys) throws Exception {
    org.edgeopt.deploy.SigningKeys.write(org.edgeopt.deploy.SigningKeys.generate(), keys);
    return new PipelineConfig.Packaging(
        keys.resolve(org.edgeopt.deploy.SigningKeys.PRIVATE_FILE), "fashion-mnist", "1.0.0", null);
  }

  private static List<String> ran(PipelineResult r) {
    return r.stages().stream().filter(s -> !s.skipped()).map(StageResult::stage).toList();
  }

  @Test
  void runsEveryStageThenSkipsWhatDidNotChange(@TempDir Path keys) throws Exception {
    PipelineConfig.Packaging packaging = packaging(keys);
    PipelineResult first =
        new Pipeline(config(out, 400, 0, packaging), PipelineListener.silent()).run();
    assertEquals(
        List.of("ingest", "calibrate", "quantize", "compile", "validate", "package"), ran(first));
    org.edgeopt.deploy.BundleVerifier.Verified bundle =
        org.edgeopt.deploy.BundleVerifier.verify(
            out.resolve("bundle.zip"),
            org.edgeopt.deploy.SigningKeys.readPublic(
                keys.resolve(org.edgeopt.deploy.SigningKeys.PUBLIC_FILE)));
    assertEquals("PASS", bundle.manifest().validation().verdict());
    assertTrue(
        bundle.manifest().files().containsKey("calibration/calibration.json"),
        bundle.manifest().files().keySet().toString());
    assertTrue(first.gatePassed(), first.summary() + " " + first.gateReasons());
    assertEquals(0, first.exitCode());
    for (String f :
        List.of(
            "model.onnx",
            "model-card.json",
            "calibration.json",
            "model.int8.onnx",
            "model.ort.onnx",
            "report.json",
            "report.html",
            "junit.xml")) {
      assertTrue(Files.isRegularFile(out.resolve(f)), f);
    }

    PipelineResult again =
        new Pipeline(config(out, 400, 0, packaging), PipelineListener.silent()).run();
    assertTrue(again.allSkipped(), "stages re-ran: " + ran(again));
    assertEquals(first.summary(), again.summary());

    // A holdout-only change re-runs validation only; a gate that cannot pass fails with exit 4.
    // A failed gate packages nothing.
    PipelineResult stricter =
        new Pipeline(config(out, 300, 1e-6, packaging), PipelineListener.silent()).run();
    assertEquals(List.of("validate"), ran(stricter));
    assertFalse(stricter.gatePassed());
    assertEquals(4, stricter.exitCode());
    assertTrue(
        stricter.gateReasons().stream().anyMatch(r -> r.contains("p95")),
        stricter.gateReasons().toString());
  }

  @Test
  void planningStagesSplitTheFloatModelAndCascadeTheQuantizedOne(@TempDir Path keys)
      throws Exception {
    PipelineConfig.Packaging packaging = packaging(keys);
    PipelineConfig base = config(out, 200, 0, null);
    PipelineConfig cfg =
        new PipelineConfig(
            base.model(),
            null,
            base.target(),
            base.precision(),
            base.preprocess(),
            base.classes(),
            base.calibration(),
            null,
            base.holdout(),
            base.gate(),
            null,
            out,
            packaging,
            null,
            new PipelineConfig.Split(null, "tensorrt-ampere", "10Mbit/s", "5ms", "int8", true, 50),
            new PipelineConfig.Cascade(null, null, 0.85, 0, Map.of(), "1ms", "20ms"));
    PipelineResult r = new Pipeline(cfg, PipelineListener.silent()).run();
    assertEquals(
        List.of(
            "ingest",
            "calibrate",
            "quantize",
            "compile",
            "split",
            "cascade",
            "validate",
            "package"),
        ran(r));
    // The bundle carries the threshold the devices apply.
    org.edgeopt.deploy.Manifest.Cascade signed =
        org.edgeopt.deploy.BundleVerifier.verify(
                out.resolve("bundle.zip"),
                org.edgeopt.deploy.SigningKeys.readPublic(
                    keys.resolve(org.edgeopt.deploy.SigningKeys.PUBLIC_FILE)))
            .manifest()
            .cascade();
    assertTrue(signed != null && signed.threshold() > 0, String.valueOf(signed));
    for (String f :
        List.of(
            "split/edge.onnx",
            "split/manifest.json",
            "split/split.html",
            "cascade/cascade.json",
            "cascade/cascade.html")) {
      assertTrue(Files.isRegularFile(out.resolve(f)) || f.equals("split/edge.onnx"), f);
    }
    assertTrue(
        Files.readString(out.resolve("cascade/cascade.json")).contains("\"feasible\" : true"));
    PipelineResult again = new Pipeline(cfg, PipelineListener.silent()).run();
    assertTrue(again.allSkipped(), "stages re-ran: " + ran(again));
  }

  /** Issue 14: a truncated {@code model.int8.onnx} was trusted ("quantize up to date"), and every run then failed on it. */
  @Test
  void truncatedModelInt8OnnxIsQuantizedAgain() throws Exception {
    PipelineResult first = new Pipeline(config(out, 200, 0), PipelineListener.silent()).run();
    assertEquals(0, first.exitCode(), first.summary());
    Path quantized = out.resolve("model.int8.onnx");
    byte[] bytes = Files.readAllBytes(quantized);
    Files.write(quantized, java.util.Arrays.copyOf(bytes, bytes.length / 2));

    PipelineResult again = new Pipeline(config(out, 200, 0), PipelineListener.silent()).run();
    // Quantize writes the same bytes again, so the stages after it, whose inputs are unchanged,
    // stay skipped.
    assertEquals(List.of("quantize"), ran(again));
    assertEquals(0, again.exitCode(), again.summary());
    assertTrue(
        java.util.Arrays.equals(bytes, Files.readAllBytes(quantized)),
        "the same model written again");

    Files.delete(out.resolve("calibration.json"));
    assertEquals(
        List.of("calibrate"),
        ran(new Pipeline(config(out, 200, 0), PipelineListener.silent()).run()).subList(0, 1),
        "a missing artifact re-runs its stage");
  }

  /** Issue 14: two runs on one output folder did all the work twice, unguarded. */
  @Test
  void secondRunOnALockedOutputFolderIsRefusedNamingTheHolder() throws Exception {
    try (PipelineLock held = PipelineLock.acquire(out)) {
      org.edgeopt.core.EdgeoptException e =
          org.junit.jupiter.api.Assertions.assertThrows(
              org.edgeopt.core.EdgeoptException.class,
              () -> new Pipeline(config(out, 200, 0), PipelineListener.silent()).run());
      assertEquals(org.edgeopt.core.ExitCode.INVALID_INPUT, e.exitCode());
      assertTrue(e.getMessage().contains("PID " + ProcessHandle.current().pid()), e.getMessage());
      assertFalse(e.getMessage().contains("\n"), e.getMessage());
    }
    assertFalse(Files.exists(out.resolve("model.onnx")), "the refused run did nothing");
  }

  /**
   * Issue 6 acceptance through the real stages (the quantizer as the edgetpu profile configures
   * it, then the lowering): on all 2,000 holdout images the TFLite model agrees with the QDQ
   * model on at least 99.5% of top-1 classes and stays within 0.3 points of FP32.
   */
  @Test
  void edgeTpuModelAgreesWithItsQdqModelOnTheWholeHoldout() throws Exception {
    SampleModel s = SampleModels.fashionMnist();
    PipelineConfig cfg =
        new PipelineConfig(
            s.model(),
            null,
            "edgetpu",
            "int8",
            s.preprocess(),
            s.classNames(),
            new PipelineConfig.Calibration(s.calibration().images().getParent(), null, 0, null),
            null,
            new PipelineConfig.Holdout(s.holdout().images().getParent(), null, 0),
            new PipelineConfig.Gate(0.5, 98.0, 0),
            null,
            out,
            null);
    PipelineResult r = new Pipeline(cfg, PipelineListener.silent()).run();
    assertTrue(r.gatePassed(), r.summary() + " " + r.gateReasons());
    JsonNode v = new ObjectMapper().readTree(out.resolve("tflite-verification.json").toFile());
    assertEquals(s.holdout().count(), v.path("samples").asInt(), v.toString());
    assertTrue(v.path("top1Agreement").asDouble() >= 0.995, v.toString());
    // What differs is a one-step difference where two classes tie in the int8 logits.
    assertTrue(v.path("top1AgreementCountingTies").asDouble() >= 0.999, v.toString());
    assertTrue(
        v.path("maxAbsDiffInt8Steps").asDouble() <= 4,
        "no systematic offset between the two: " + v);
    assertEquals(
        s.fp32HoldoutTop1(),
        v.path("tfliteTop1Accuracy").asDouble(),
        0.003,
        "within 0.3 points of FP32");
  }
}
