package org.edgeopt.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.spark.sql.SparkSession;
import org.edgeopt.core.EdgeoptException;
import org.edgeopt.core.ExitCode;
import org.edgeopt.samples.SampleModel;
import org.edgeopt.samples.SampleModels;
import org.edgeopt.validate.ProgressListener;
import org.edgeopt.validate.ReportWriter;
import org.edgeopt.validate.ValidationConfig;
import org.edgeopt.validate.ValidationReport;
import org.edgeopt.validate.Validator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Validation on Spark ({@code local[2]}) gives exactly the figures of the single-machine
 * {@link Validator} (accuracy, agreement, per-class figures, confidence histograms and means, the
 * output comparison), whatever the partitioning. The candidate is a real INT8 QDQ model of the
 * Fashion-MNIST sample, calibrated and quantized here with edgeopt's own stages.
 */
class SparkValidationTest {
  @TempDir static Path dir;
  private static SparkSession spark;
  private static SampleModel sample;
  private static Path candidate;
  private static ValidationReport local;

  @BeforeAll
  static void start() throws Exception {
    spark = TestSpark.session("local[2]");
    sample = SampleModels.fashionMnist();
    candidate = TestCandidates.int8(sample, dir);
    local = Validator.validate(config());
  }

  @AfterAll
  static void stop() {
    spark.stop();
  }

  /** 224 samples in batches of 8: 28 batches, so 7 partitions really are 7 (4 batches each). */
  private static ValidationConfig config() {
    return ValidationConfig.of(sample.model(), candidate, sample.holdout().images())
        .withPreprocess(sample.preprocess())
        .withClassNames(sample.classNames())
        .withBatchSize(8)
        .withLimit(224)
        .withLatency(0, 0)
        .withDiagnosisBatches(0);
  }

  @ParameterizedTest
  @ValueSource(ints = {1, 2, 7})
  void figuresAreIdenticalToOneMachine(int partitions) throws EdgeoptException {
    ValidationReport distributed =
        SparkValidation.validate(spark, config(), partitions, ProgressListener.silent());
    assertEquals(224, local.classification().samples());
    assertEquals(local.classification(), distributed.classification());
    assertEquals(local.confidence(), distributed.confidence());
    assertEquals(local.outputs(), distributed.outputs());
    assertEquals(local.gate(), distributed.gate());
    assertEquals(local.holdout(), distributed.holdout());
    // The candidate really differs from its reference: the figures compared are not trivially
    // equal.
    assertTrue(
        local.outputs().maxAbsError() > 0 && local.outputs().cosine() < 1,
        local.outputs().toString());
    assertTrue(
        String.valueOf(distributed.provenance().config().get("engine")).contains("partitions"));
  }

  @Test
  void reportFilesMatchOneMachineButForProvenanceAndTheDriverSideDiagnosis() throws Exception {
    ValidationConfig withDiagnosis = config().withDiagnosisBatches(1);
    ValidationReport distributed =
        SparkValidation.validate(spark, withDiagnosis, 3, ProgressListener.silent());
    ValidationReport single = Validator.validate(withDiagnosis);
    assertEquals(single.diagnosis(), distributed.diagnosis());
    List<Path> files = ReportWriter.write(distributed, dir.resolve("report"));
    assertEquals(3, files.size());
    for (Path f : files) {
      assertTrue(Files.size(f) > 0, f.toString());
    }
    String json = Files.readString(dir.resolve("report").resolve(ReportWriter.JSON));
    assertTrue(
        json.contains("ran on the driver host"),
        "the report says where the diagnosis and the latency ran");
  }

  @Test
  void aTorchScriptCandidateIsRefusedInOneLine() {
    ValidationConfig pt =
        ValidationConfig.of(
            sample.model(), sample.model().resolveSibling("model.pt"), sample.holdout().images());
    EdgeoptException e =
        assertThrows(
            EdgeoptException.class,
            () -> SparkValidation.validate(spark, pt, 2, ProgressListener.silent()));
    assertEquals(ExitCode.INVALID_INPUT, e.exitCode());
    assertEquals(1, e.getMessage().lines().count(), e.getMessage());
    assertNotEquals(-1, e.getMessage().indexOf("ONNX models only"));
  }
}
