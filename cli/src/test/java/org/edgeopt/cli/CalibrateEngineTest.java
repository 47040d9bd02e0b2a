package org.edgeopt.cli;

import static org.edgeopt.cli.CliRun.edgeopt;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.edgeopt.cli.CliRun.Run;
import org.edgeopt.samples.SampleModel;
import org.edgeopt.samples.SampleModels;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code --engine}: local by default; for calibrate, spark hands over to edgeopt-spark.jar or says in
 * one line how to get it, for calibrate and validate alike; Spark-only options are refused by the local engine.
 */
class CalibrateEngineTest {
  @TempDir Path dir;

  private static String[] args(Path out, String... more) {
    SampleModel sample = SampleModels.fashionMnist();
    String[] base = {
      "calibrate",
      sample.model().toString(),
      "--data",
      sample.calibration().images().getParent().toString(),
      "--samples",
      "40",
      "--method",
      "minmax",
      "-q",
      "-o",
      out.toString()
    };
    String[] all = java.util.Arrays.copyOf(base, base.length + more.length);
    System.arraycopy(more, 0, all, base.length, more.length);
    return all;
  }

  @Test
  void sparkWithoutTheJarIsOneLineOnHowToBuildIt() {
    Path missing = dir.resolve("nowhere").resolve("edgeopt-spark.jar");
    System.setProperty("edgeopt.spark.jar", missing.toString());
    Run r;
    try {
      r = edgeopt(args(dir.resolve("c.json"), "--engine", "spark", "--master", "local[2]"));
    } finally {
      System.clearProperty("edgeopt.spark.jar");
    }
    assertEquals(3, r.exitCode(), r.err());
    assertTrue(
        r.err()
            .contains(
                "--engine spark needs edgeopt-spark.jar, not found at ["
                    + missing
                    + "]: build it with"
                    + " 'mvn -pl spark -am package -DskipTests'"),
        r.err());
    assertEquals(1, r.err().strip().lines().count(), r.err());
    assertTrue(!dir.resolve("c.json").toFile().exists(), "no silent fallback to one machine");
  }

  @Test
  void sparkOnlyOptionsAreRefusedOnTheLocalEngine() {
    Run r = edgeopt(args(dir.resolve("c.json"), "--partitions", "4"));
    assertEquals(2, r.exitCode(), r.err());
    assertTrue(
        r.err()
            .contains(
                "unknown option(s) [--partitions, 4]: expected them only with --engine spark"),
        r.err());
    Run bogus = edgeopt(args(dir.resolve("c.json"), "--engine", "flink"));
    assertEquals(2, bogus.exitCode(), bogus.err());
    assertTrue(
        bogus.err().contains("--engine: expected local or spark, found 'flink'"), bogus.err());
  }

  @Test
  void validateOnSparkWithoutTheJarIsOneLineNotALocalRun() {
    SampleModel sample = SampleModels.fashionMnist();
    Path missing = dir.resolve("nowhere").resolve("edgeopt-spark.jar");
    System.setProperty("edgeopt.spark.jar", missing.toString());
    Run r;
    try {
      r =
          edgeopt(
              "validate",
              "--reference",
              sample.model().toString(),
              "--candidate",
              sample.model().toString(),
              "--holdout",
              sample.holdout().images().getParent().toString(),
              "--engine",
              "spark",
              "--partitions",
              "3",
              "--report",
              dir.resolve("report").toString());
    } finally {
      System.clearProperty("edgeopt.spark.jar");
    }
    assertEquals(3, r.exitCode(), r.err());
    assertTrue(
        r.err().contains("--engine spark needs edgeopt-spark.jar, not found at [" + missing + "]"),
        r.err());
    assertEquals(1, r.err().strip().lines().count(), r.err());
    assertTrue(
        !dir.resolve("report").toFile().exists(), "nothing validated on one machine instead");
  }

  @Test
  void validateRefusesSparkOnlyOptionsOnTheLocalEngine() {
    SampleModel sample = SampleModels.fashionMnist();
    Run r =
        edgeopt(
            "validate",
            "--reference",
            sample.model().toString(),
            "--candidate",
            sample.model().toString(),
            "--partitions",
            "3");
    assertEquals(2, r.exitCode(), r.err());
    assertTrue(
        r.err()
            .contains(
                "unknown option(s) [--partitions, 3]: expected them only with --engine spark"),
        r.err());
  }

  @Test
  void monitorOnSparkWithoutTheJarIsOneLineAndSparkOptionsAreRefusedLocally() {
    Path missing = dir.resolve("nowhere").resolve("edgeopt-spark.jar");
    System.setProperty("edgeopt.spark.jar", missing.toString());
    Run r;
    try {
      r =
          edgeopt(
              "monitor",
              "--bundle",
              dir.resolve("m.bundle.zip").toString(),
              "--telemetry",
              "hdfs://lake/fleet/2026-12/",
              "--engine",
              "spark",
              "--partitions",
              "8");
    } finally {
      System.clearProperty("edgeopt.spark.jar");
    }
    assertEquals(3, r.exitCode(), r.err());
    assertTrue(r.err().contains("--engine spark needs edgeopt-spark.jar"), r.err());
    assertEquals(1, r.err().strip().lines().count(), r.err());
    Run local =
        edgeopt(
            "monitor",
            "--bundle",
            dir.resolve("m.bundle.zip").toString(),
            "--telemetry",
            dir.resolve("t.jsonl").toString(),
            "--partitions",
            "8");
    assertEquals(2, local.exitCode(), local.err());
    assertTrue(local.err().contains("unknown option(s) [--partitions"), local.err());
  }
}
