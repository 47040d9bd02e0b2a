package org.edgeopt.cli;

import static org.edgeopt.cli.CliRun.edgeopt;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.edgeopt.cli.CliRun.Run;
import org.edgeopt.core.io.Hashes;
import org.edgeopt.core.onnx.OnnxModels;
import org.edgeopt.core.testing.TestModels;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * No command writes over one of its own inputs: each refuses such a command line with exit code 2
 * and one line, before reading anything, and the input file is left as it was.
 */
class OwnInputsCommandTest {
  @TempDir Path tmp;
  Path model;
  Path data;
  String modelSha;

  @BeforeEach
  void modelAndData() throws Exception {
    model = tmp.resolve("m.onnx");
    OnnxModels.write(TestModels.smallCnn(13), model);
    modelSha = Hashes.sha256(model);
    data = Files.writeString(tmp.resolve("d.csv"), "label,a\n0,1\n");
  }

  private void refused(Run r, String option, Path input) throws Exception {
    assertEquals(2, r.exitCode(), r.err());
    assertEquals(1, r.err().lines().count(), r.err());
    assertTrue(r.err().startsWith("edgeopt: " + option + " "), r.err());
    assertTrue(r.err().contains("would overwrite") && r.err().contains(input.toString()), r.err());
    assertEquals(modelSha, Hashes.sha256(model), "the input model is unchanged");
  }

  @Test
  void quantizeOutputOverItsInputIsRefused() throws Exception {
    Path table = Files.writeString(tmp.resolve("calibration.json"), "{}");
    refused(
        edgeopt(
            "quantize",
            model.toString(),
            "--calibration",
            table.toString(),
            "-o",
            model.toString()),
        "-o",
        model);
  }

  @Test
  void quantizeOutputOverItsInputThroughARelativePathIsRefused() throws Exception {
    Path table = Files.writeString(tmp.resolve("calibration.json"), "{}");
    Path same = tmp.resolve("sub/../m.onnx");
    refused(
        edgeopt(
            "quantize", model.toString(), "--calibration", table.toString(), "-o", same.toString()),
        "-o",
        model);
  }

  @Test
  void calibrateOutputOverItsModelIsRefused() throws Exception {
    refused(
        edgeopt("calibrate", model.toString(), "--data", data.toString(), "-o", model.toString()),
        "-o",
        model);
  }

  @Test
  void calibrateTrtCacheOverItsDataIsRefused() throws Exception {
    refused(
        edgeopt(
            "calibrate",
            model.toString(),
            "--data",
            data.toString(),
            "-o",
            tmp.resolve("c.json").toString(),
            "--trt-cache",
            data.toString()),
        "--trt-cache",
        data);
  }

  @Test
  void ingestIntoTheFolderOfItsModelNamedModelOnnxIsRefused() throws Exception {
    Path dir = Files.createDirectories(tmp.resolve("out"));
    Path inside = dir.resolve("model.onnx");
    Files.copy(model, inside);
    Run r = edgeopt("ingest", inside.toString(), "-o", dir.toString());
    assertEquals(2, r.exitCode(), r.err());
    assertTrue(r.err().contains("would overwrite the input model " + inside), r.err());
  }

  @Test
  void pruneOutputOverItsInputIsRefused() throws Exception {
    refused(
        edgeopt(
            "prune",
            model.toString(),
            "--target",
            "onnxruntime-cpu",
            "--holdout",
            data.toString(),
            "-o",
            model.toString()),
        "-o",
        model);
  }

  @Test
  void compileIntoAFolderHoldingItsInputUnderAnArtifactNameIsRefused() throws Exception {
    Path dir = Files.createDirectories(tmp.resolve("compiled"));
    Path inside = dir.resolve("model.ort.onnx");
    Files.copy(model, inside);
    Run r =
        edgeopt("compile", inside.toString(), "--target", "onnxruntime-cpu", "-o", dir.toString());
    assertEquals(2, r.exitCode(), r.err());
    assertTrue(r.err().contains("would overwrite the input model " + inside), r.err());
  }

  @Test
  void validateReportOverItsCandidateIsRefused() throws Exception {
    refused(
        edgeopt(
            "validate",
            "--reference",
            model.toString(),
            "--candidate",
            model.toString(),
            "--holdout",
            data.toString(),
            "--report",
            model.toString()),
        "--report",
        model);
  }
}
