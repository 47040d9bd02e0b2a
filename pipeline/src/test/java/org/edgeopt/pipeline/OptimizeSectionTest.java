package org.edgeopt.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.edgeopt.samples.SampleModel;
import org.edgeopt.samples.SampleModels;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OptimizeSectionTest {
  @TempDir Path dir;

  @Test
  void optimizeSectionRunsTheSearchWithTheGateAsTheBarAndPackagesTheResult(@TempDir Path keys)
      throws Exception {
    org.edgeopt.deploy.SigningKeys.write(org.edgeopt.deploy.SigningKeys.generate(), keys);
    SampleModel s = SampleModels.fashionMnist();
    Path yaml = dir.resolve("edgeopt.yaml");
    Files.writeString(
        yaml,
        String.join(
            "\n",
            "model: " + s.model(),
            "target: onnxruntime-cpu",
            "preprocess: " + s.preprocess(),
            "calibration:",
            "  data: " + s.calibration().images().getParent(),
            "  samples: 100",
            "holdout:",
            "  data: " + s.holdout().images().getParent(),
            "  samples: 300",
            "gate:",
            "  maxTop1Drop: 1.0",
            "  minAgreement: 95",
            "optimize:",
            "  trials: 1",
            "  budget: 5m",
            "  latencyRuns: 5",
            "package:",
            "  key: " + keys.resolve(org.edgeopt.deploy.SigningKeys.PRIVATE_FILE),
            "  version: 1.0.0",
            "output: out",
            ""));
    PipelineConfig c = PipelineConfigLoader.load(yaml);
    assertEquals(1, c.optimize().trials());
    assertEquals("latency", c.optimize().objective());
    PipelineResult r = new Pipeline(c, PipelineListener.silent()).run();
    assertEquals(0, r.exitCode(), r.summary());
    assertEquals(
        List.of("optimize", "package"), r.stages().stream().map(StageResult::stage).toList());
    org.edgeopt.deploy.BundleVerifier.Verified bundle =
        org.edgeopt.deploy.BundleVerifier.verify(
            dir.resolve("out/bundle.zip"),
            org.edgeopt.deploy.SigningKeys.readPublic(
                keys.resolve(org.edgeopt.deploy.SigningKeys.PUBLIC_FILE)));
    assertEquals("PASS", bundle.manifest().validation().verdict());
    assertTrue(Files.isRegularFile(dir.resolve("out/search.json")));
    assertTrue(Files.isRegularFile(dir.resolve("out/model.ort.onnx")));

    // Nothing changed: the search is skipped like any up-to-date stage (the Maven validate goal
    // after optimize).
    PipelineResult again = new Pipeline(c, PipelineListener.silent()).run();
    assertTrue(again.allSkipped());
    assertEquals(r.summary(), again.summary());
    assertEquals(0, again.exitCode());

    // Another bar: the recorded search belongs to the old one, so the stage starts over instead of
    // refusing.
    // With keepTrials: none the trials' models go once the search ends.
    assertTrue(Files.isDirectory(dir.resolve("out/trials")), "kept by default");
    Files.writeString(
        yaml,
        Files.readString(yaml)
            .replace("maxTop1Drop: 1.0", "maxTop1Drop: 2.0")
            .replace("  trials: 1\n", "  trials: 1\n  keepTrials: none\n"));
    PipelineResult other =
        new Pipeline(PipelineConfigLoader.load(yaml), PipelineListener.silent()).run();
    assertEquals(0, other.exitCode(), other.summary());
    assertTrue(other.summary().contains("<= 2.00 points"), other.summary());
    assertFalse(Files.exists(dir.resolve("out/trials")), "removed with keepTrials: none");
    assertTrue(Files.isRegularFile(dir.resolve("out/model.ort.onnx")));

    Files.writeString(yaml, Files.readString(yaml).replace("keepTrials: none", "keepTrials: some"));
    PipelineConfig bad = PipelineConfigLoader.load(yaml);
    org.edgeopt.core.EdgeoptException e =
        org.junit.jupiter.api.Assertions.assertThrows(
            org.edgeopt.core.EdgeoptException.class,
            () -> new Pipeline(bad, PipelineListener.silent()).run());
    assertTrue(
        e.getMessage().contains("optimize.keepTrials: expected all or none, found 'some'"),
        e.getMessage());
  }

  @Test
  void configWithoutTheSectionHasNoSearch() throws Exception {
    Path yaml = dir.resolve("edgeopt.yaml");
    Files.writeString(dir.resolve("m.onnx"), "x");
    Files.createDirectories(dir.resolve("cal"));
    Files.createDirectories(dir.resolve("hold"));
    Files.writeString(
        yaml,
        "model: m.onnx\ntarget: edgetpu\ncalibration:\n  data: cal\nholdout:\n  data: hold\n");
    assertNull(PipelineConfigLoader.load(yaml).optimize());
  }
}
