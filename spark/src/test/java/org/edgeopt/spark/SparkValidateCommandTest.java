package org.edgeopt.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.edgeopt.core.ExitCode;
import org.edgeopt.samples.SampleModel;
import org.edgeopt.samples.SampleModels;
import org.edgeopt.validate.ReportWriter;
import org.edgeopt.validate.ValidationConfig;
import org.edgeopt.validate.ValidationReport;
import org.edgeopt.validate.Validator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code validate} through the Spark jar's entry point (what {@code edgeopt validate --engine spark}
 * runs): the single-machine verdict and the three report files.
 */
class SparkValidateCommandTest {
  @TempDir Path dir;

  @Test
  void writesTheReportAndExitsWithTheSingleMachineVerdict() throws Exception {
    SampleModel sample = SampleModels.fashionMnist();
    String classes = String.join(",", sample.classNames());
    // FP32 against itself: every figure is known (agreement 100 %, no drop), the gate passes.
    ValidationReport local =
        Validator.validate(
            ValidationConfig.of(sample.model(), sample.model(), sample.holdout().images())
                .withPreprocess(sample.preprocess())
                .withClassNames(sample.classNames())
                .withLimit(96)
                .withLatency(0, 0)
                .withDiagnosisBatches(0));
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code =
        SparkMain.run(
            new String[] {
              "validate",
              "--reference",
              sample.model().toString(),
              "--candidate",
              sample.model().toString(),
              "--holdout",
              sample.holdout().images().toString(),
              "--preprocess",
              sample.preprocess(),
              "--classes",
              classes,
              "--limit",
              "96",
              "--latency-runs",
              "0",
              "--diagnosis-batches",
              "0",
              "--master",
              "local[2]",
              "--partitions",
              "3",
              "--report",
              dir.resolve("r").toString()
            },
            new PrintWriter(out, true),
            new PrintWriter(err, true));
    assertEquals(ExitCode.OK.code(), code, err.toString());
    assertTrue(local.passed());
    for (String f : new String[] {ReportWriter.JSON, ReportWriter.JUNIT, ReportWriter.HTML}) {
      assertTrue(Files.size(dir.resolve("r").resolve(f)) > 0, f);
    }
    String json = Files.readString(dir.resolve("r").resolve(ReportWriter.JSON));
    assertTrue(
        json.contains("\"agreementPercent\" : 100.0")
            || json.contains("\"agreementPercent\":100.0"),
        json);
    assertTrue(json.contains("(3 partitions)"), json);
    assertTrue(out.toString().contains("report"), out.toString());
  }
}
