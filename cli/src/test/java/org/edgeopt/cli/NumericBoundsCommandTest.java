package org.edgeopt.cli;

import static org.edgeopt.cli.CliRun.edgeopt;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.edgeopt.cli.CliRun.Run;
import org.edgeopt.core.onnx.OnnxModels;
import org.edgeopt.core.testing.TestModels;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Numeric options out of their range are usage errors (exit 2) naming the option, the range and the value. */
class NumericBoundsCommandTest {
  @TempDir Path tmp;
  Path model;
  Path data;

  @BeforeEach
  void modelAndData() throws Exception {
    model = tmp.resolve("m.onnx");
    OnnxModels.write(TestModels.smallCnn(13), model);
    data = Files.writeString(tmp.resolve("d.csv"), "label,a\n0,1\n");
  }

  private static void usage(Run r, String expectedStart) {
    assertEquals(2, r.exitCode(), r.err());
    assertTrue(r.err().startsWith("edgeopt: " + expectedStart), r.err());
    assertEquals(1, r.err().lines().filter(l -> l.startsWith("edgeopt: ")).count(), r.err());
  }

  private Run validateWith(String option, String value) {
    return edgeopt(
        "validate",
        "--reference",
        model.toString(),
        "--candidate",
        model.toString(),
        "--holdout",
        data.toString(),
        option,
        value);
  }

  @Test
  void calibrateThreads100000IsRefused() {
    int max = OptionBounds.maxThreads();
    usage(
        edgeopt("calibrate", model.toString(), "--data", data.toString(), "--threads", "100000"),
        "--threads must be 0 to " + max + " (0 for the runtime's default, at most 4 per CPU core");
  }

  @Test
  void validateThreads100000IsRefused() {
    usage(
        validateWith("--threads", "100000"), "--threads must be 0 to " + OptionBounds.maxThreads());
  }

  @Test
  void validateThreadsMinusOneIsRefused() {
    usage(validateWith("--threads", "-1"), "--threads must be 0 to ");
  }

  @Test
  void validateBatchSizeZeroIsRefused() {
    usage(
        validateWith("--batch-size", "0"),
        "--batch-size must be 1 to 4096 (samples per inference), found 0");
  }

  @Test
  void validateLatencyRunsMinusOneIsRefused() {
    usage(validateWith("--latency-runs", "-1"), "--latency-runs must be 0 to 100000");
  }

  @Test
  void validateLimitZeroIsRefused() {
    usage(validateWith("--limit", "0"), "--limit must be 1 to ");
  }

  @Test
  void calibrateBatchSize1000000IsRefused() {
    usage(
        edgeopt(
            "calibrate", model.toString(), "--data", data.toString(), "--batch-size", "1000000"),
        "--batch-size must be 1 to 4096 (samples per inference), found 1000000");
  }

  @Test
  void quantizeSamples1000000IsRefused() {
    usage(
        edgeopt("quantize", model.toString(), "--precision", "fp16", "--samples", "1000000"),
        "--samples must be 1 to 100000 (samples of --data to measure per-layer SQNR on), found 1000000");
  }

  @Test
  void pruneBatchSizeZeroIsRefused() {
    usage(
        edgeopt(
            "prune",
            model.toString(),
            "--target",
            "onnxruntime-cpu",
            "--holdout",
            data.toString(),
            "--batch-size",
            "0",
            "-o",
            tmp.resolve("p.onnx").toString()),
        "--batch-size must be 1 to 4096");
  }

  @Test
  void compileVerifyLimitZeroIsRefused() {
    usage(
        edgeopt(
            "compile",
            model.toString(),
            "--target",
            "onnxruntime-cpu",
            "--verify-limit",
            "0",
            "-o",
            tmp.resolve("c").toString()),
        "--verify-limit must be 1 to ");
  }
}
