package org.edgeopt.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Path;
import java.util.Optional;
import org.apache.spark.sql.SparkSession;
import org.edgeopt.calibrate.Calibration;
import org.edgeopt.calibrate.CalibrationConfig;
import org.edgeopt.calibrate.CalibrationProgress;
import org.edgeopt.core.EdgeoptException;
import org.edgeopt.core.ExitCode;
import org.edgeopt.core.data.Preprocessing;
import org.edgeopt.core.quant.CalibrationTable;
import org.edgeopt.core.targets.TargetProfiles;
import org.edgeopt.samples.SampleModel;
import org.edgeopt.samples.SampleModels;
import org.edgeopt.samples.SharedModels;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Calibration on Spark ({@code local[2]}) gives byte for byte the table of the single-machine
 * command for the same samples, whatever the partitioning.
 */
class SparkCalibrationTest {
  private static SparkSession spark;

  @BeforeAll
  static void start() {
    spark = TestSpark.session("local[2]");
  }

  @AfterAll
  static void stop() {
    spark.stop();
  }

  @ParameterizedTest
  @ValueSource(ints = {1, 2, 7})
  void fashionMnistSampleTableIsByteIdentical(int partitions) throws EdgeoptException {
    SampleModel sample = SampleModels.fashionMnist();
    Path data = sample.calibration().images().getParent();
    Preprocessing pre = Preprocessing.parse(sample.preprocess());
    // 224 samples in batches of 8: 28 batches, so 7 partitions really are 7 (4 batches each).
    CalibrationConfig cfg =
        CalibrationConfig.forTarget(TargetProfiles.get("onnxruntime-cpu"))
            .withBatchSize(8)
            .withSamples(224);
    String local =
        Calibration.calibrate(sample.model(), data, pre, cfg, CalibrationProgress.NONE).toJson();
    String distributed =
        SparkCalibration.calibrate(spark, sample.model(), FileSource.of(data), pre, cfg, partitions)
            .toJson();
    assertEquals(local, distributed);
  }

  @ParameterizedTest
  @ValueSource(ints = {1, 2, 7})
  void mnist7TableIsByteIdentical(int partitions) throws EdgeoptException {
    Optional<Path> model = SharedModels.find("mnist-7/mnist.onnx");
    Optional<Path> data = SharedModels.find("mnist-t10k");
    assumeTrue(
        model.isPresent() && data.isPresent(), SharedModels.missingReason("mnist-7/mnist.onnx"));
    CalibrationConfig cfg =
        CalibrationConfig.forTarget(TargetProfiles.get("onnxruntime-cpu")).withSamples(200);
    String local =
        Calibration.calibrate(
                model.get(), data.get(), Preprocessing.identity(), cfg, CalibrationProgress.NONE)
            .toJson();
    CalibrationTable distributed =
        SparkCalibration.calibrate(
            spark,
            model.get(),
            FileSource.of(data.get()),
            Preprocessing.identity(),
            cfg,
            partitions);
    assertEquals(200, distributed.samples());
    assertEquals(local, distributed.toJson());
  }

  @Test
  void minmaxTableIsByteIdenticalToo() throws EdgeoptException {
    SampleModel sample = SampleModels.fashionMnist();
    Path data = sample.calibration().images().getParent();
    Preprocessing pre = Preprocessing.parse(sample.preprocess());
    CalibrationConfig cfg =
        CalibrationConfig.of(org.edgeopt.calibrate.CalibrationMethod.MINMAX).withSamples(100);
    assertEquals(
        Calibration.calibrate(sample.model(), data, pre, cfg, CalibrationProgress.NONE).toJson(),
        SparkCalibration.calibrate(spark, sample.model(), FileSource.of(data), pre, cfg, 3)
            .toJson());
  }

  @Test
  void dataThatDoesNotFitTheModelIsTheSameOneLineError() {
    SampleModel sample = SampleModels.fashionMnist();
    Path data = sample.calibration().images().getParent();
    EdgeoptException e =
        assertThrows(
            EdgeoptException.class,
            () ->
                SparkCalibration.calibrate(
                    spark,
                    sample.model(),
                    FileSource.of(data),
                    Preprocessing.parse("layout=nhwc"),
                    CalibrationConfig.of(org.edgeopt.calibrate.CalibrationMethod.MINMAX),
                    2));
    assertEquals(ExitCode.INVALID_INPUT, e.exitCode());
    assertTrue(e.getMessage().contains("after preprocessing"), e.getMessage());
    assertEquals(1, e.getMessage().lines().count(), e.getMessage());
    assertNotEquals(null, e.getMessage());
  }
}
