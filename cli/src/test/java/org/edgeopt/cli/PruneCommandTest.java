package org.edgeopt.cli;

import static org.edgeopt.cli.CliRun.edgeopt;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import org.edgeopt.cli.CliRun.Run;
import org.edgeopt.core.graph.Graph;
import org.edgeopt.core.onnx.OnnxModels;
import org.edgeopt.samples.SampleModel;
import org.edgeopt.samples.SampleModels;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code edgeopt prune} end to end on the Fashion-MNIST sample, and its refusals. */
class PruneCommandTest {
  @TempDir Path dir;

  @Test
  void twoFourForTheEdgeTpuIsRefusedWithExitFiveAndTheReason() {
    SampleModel s = SampleModels.fashionMnist();
    Path out = dir.resolve("pruned.onnx");
    Run r =
        edgeopt(
            "prune",
            s.model().toString(),
            "--target",
            "edgetpu",
            "--mode",
            "2:4",
            "--holdout",
            s.holdout().images().getParent().toString(),
            "-o",
            out.toString());
    assertEquals(5, r.exitCode(), r.err());
    assertTrue(
        r.err()
            .startsWith(
                "edgeopt: 2:4 pruning refused for target edgetpu: the Edge TPU has no sparse kernels"),
        r.err());
    assertEquals(1, r.err().strip().lines().count(), "one line: " + r.err());
    assertFalse(Files.exists(out));
  }

  @Test
  void badModeAndBadBudgetAreUsageOrInputErrors() {
    SampleModel s = SampleModels.fashionMnist();
    String hold = s.holdout().images().getParent().toString();
    Run mode =
        edgeopt(
            "prune",
            s.model().toString(),
            "--target",
            "edgetpu",
            "--mode",
            "3:4",
            "--holdout",
            hold,
            "-o",
            dir.resolve("a.onnx").toString());
    assertEquals(3, mode.exitCode(), mode.err());
    assertTrue(mode.err().contains("expected auto, 2:4 or channel"), mode.err());
    Run budget =
        edgeopt(
            "prune",
            s.model().toString(),
            "--target",
            "edgetpu",
            "--budget",
            "-1",
            "--holdout",
            hold,
            "-o",
            dir.resolve("b.onnx").toString());
    assertEquals(2, budget.exitCode(), budget.err());
  }

  @Test
  void autoOnJetsonPrunesTwoFourWithinBudgetAndWritesModelAndReport() throws Exception {
    SampleModel s = SampleModels.digits();
    Path out = dir.resolve("digits.pruned.onnx");
    Run r =
        edgeopt(
            "prune",
            s.model().toString(),
            "--target",
            "tensorrt-jetson-orin",
            "--budget",
            "1.0",
            "--holdout",
            s.holdout().file().toString(),
            "--calibration-data",
            s.calibration().file().toString(),
            "--preprocess",
            s.preprocess(),
            "--no-latency",
            "-o",
            out.toString());
    assertEquals(0, r.exitCode(), r.err());
    assertTrue(r.out().contains("mode 2:4 for tensorrt-jetson-orin"), r.out());
    Graph g = OnnxModels.read(out);
    assertEquals("2:4", g.info().metadata().get("edgeopt.sparsity"));
    assertFalse(g.info().metadata().get("edgeopt.sparsity.layers").isEmpty(), r.out());
    JsonNode report =
        new ObjectMapper().readTree(dir.resolve("digits.pruned.prune-report.json").toFile());
    assertEquals("2:4", report.get("mode").asText());
    double drop = report.get("baselineTop1").asDouble() - report.get("prunedTop1").asDouble();
    assertTrue(drop <= 1.0, "drop " + drop);
    assertEquals(s.fp32HoldoutTotal(), report.get("holdoutSamples").asInt());
  }

  @Test
  void channelModeQuietlyPrintsOneLineAndTimesBothModels() throws Exception {
    SampleModel s = SampleModels.digits();
    Path out = dir.resolve("digits.channel.onnx");
    Run r =
        edgeopt(
            "prune",
            s.model().toString(),
            "--target",
            "onnxruntime-cpu",
            "--mode",
            "channel",
            "--budget",
            "2",
            "--holdout",
            s.holdout().file().toString(),
            "--calibration-data",
            s.calibration().file().toString(),
            "--preprocess",
            s.preprocess(),
            "-q",
            "-o",
            out.toString());
    assertEquals(0, r.exitCode(), r.err());
    assertEquals(1, r.out().strip().lines().count(), r.out());
    assertTrue(r.out().contains(": channel, top-1 "), r.out());
    JsonNode report =
        new ObjectMapper().readTree(dir.resolve("digits.channel.prune-report.json").toFile());
    assertTrue(report.get("latency").get("afterMedianMs").asDouble() > 0, report.toString());
    assertTrue(report.get("macsAfter").asLong() <= report.get("macsBefore").asLong());
  }
}
