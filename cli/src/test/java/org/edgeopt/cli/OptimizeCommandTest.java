package org.edgeopt.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.edgeopt.samples.SampleModel;
import org.edgeopt.samples.SampleModels;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OptimizeCommandTest {
  @TempDir Path dir;

  @Test
  void unreachableBarExitsFourAndPrintsProgressAndTheClosestTrial() throws Exception {
    SampleModel s = SampleModels.fashionMnist();
    Path out = dir.resolve("out");
    CliRun.Run r =
        CliRun.edgeopt(
            "optimize",
            s.model().toString(),
            "--data",
            s.calibration().images().getParent().toString(),
            "--max-top1-drop",
            "0",
            "--min-agreement",
            "100",
            "--trials",
            "1",
            "--calibration-samples",
            "2",
            "--holdout-samples",
            "600",
            "--latency-runs",
            "5",
            "-o",
            out.toString());
    assertEquals(4, r.exitCode(), r.out() + r.err());
    assertTrue(r.out().contains("trial 1/1 [plain] INT8 minmax, padded"), r.out());
    assertTrue(r.out().contains("NOT MET: no trial meets the bar"), r.out());
    assertTrue(Files.isRegularFile(out.resolve("search.json")));

    CliRun.Run again =
        CliRun.edgeopt(
            "optimize",
            s.model().toString(),
            "--data",
            s.calibration().images().getParent().toString(),
            "--max-top1-drop",
            "0.3",
            "-o",
            out.toString());
    assertEquals(3, again.exitCode(), again.err());
    assertTrue(again.err().contains("--resume"), again.err());
  }

  @Test
  void badOptionsAreUsageErrors() {
    SampleModel s = SampleModels.fashionMnist();
    CliRun.Run r =
        CliRun.edgeopt(
            "optimize",
            s.model().toString(),
            "--data",
            "x",
            "--max-top1-drop",
            "0.3",
            "--budget",
            "soon",
            "-o",
            dir.toString());
    assertEquals(2, r.exitCode());
    assertTrue(r.err().contains("--budget"), r.err());
    CliRun.Run missing =
        CliRun.edgeopt(
            "optimize",
            s.model().toString(),
            "--data",
            dir.resolve("nope").toString(),
            "--max-top1-drop",
            "0.3",
            "-o",
            dir.resolve("o").toString());
    assertEquals(3, missing.exitCode());
    assertTrue(missing.err().contains("calibration data not found"), missing.err());
    CliRun.Run keep =
        CliRun.edgeopt(
            "optimize",
            s.model().toString(),
            "--max-top1-drop",
            "0.3",
            "--keep-trials",
            "some",
            "-o",
            dir.resolve("k").toString());
    assertEquals(2, keep.exitCode());
    assertTrue(
        keep.err().contains("--keep-trials: expected all or none, found 'some'"), keep.err());
    assertFalse(Files.exists(dir.resolve("k")), "nothing written");
  }
}
