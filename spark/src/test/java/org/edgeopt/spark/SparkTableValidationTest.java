package org.edgeopt.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import javax.imageio.ImageIO;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.edgeopt.core.ExitCode;
import org.edgeopt.core.data.Batch;
import org.edgeopt.core.data.Datasets;
import org.edgeopt.core.data.Preprocessing;
import org.edgeopt.core.io.Hashes;
import org.edgeopt.samples.SampleModel;
import org.edgeopt.samples.SampleModels;
import org.edgeopt.validate.ProgressListener;
import org.edgeopt.validate.ReportWriter;
import org.edgeopt.validate.ValidationConfig;
import org.edgeopt.validate.ValidationReport;
import org.edgeopt.validate.Validator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Validation on Spark over the tables field data lives in: the Fashion-MNIST sample's holdout
 * written by Spark as a Parquet table of raw pixels (float32 bytes), and as a PNG folder read by {@code binaryFile},
 * gives exactly the figures of the single-machine {@link Validator} on the same samples, with a
 * real INT8 candidate.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class SparkTableValidationTest {
  private static final int SAMPLES = 200;
  @TempDir static Path dir;
  private static SparkSession spark;
  private static SampleModel sample;
  private static Path candidate;
  private static Path parquet;
  private static Path pngFolder;
  private static ValidationReport local;

  @BeforeAll
  static void start() throws Exception {
    spark = TestSpark.session("local[2]");
    sample = SampleModels.fashionMnist();
    candidate = TestCandidates.int8(sample, dir);
    // The holdout's first raw samples, as a Parquet table (written by Spark) and a PNG folder.
    List<Row> rows = new ArrayList<>();
    pngFolder = dir.resolve("images");
    Iterator<Batch> it =
        Datasets.open(sample.holdout().images(), Preprocessing.identity(), null, null)
            .batches(50, SAMPLES);
    int index = 0;
    while (it.hasNext()) {
      Batch b = it.next();
      float[] x = b.input().toFloats();
      for (int i = 0; i < b.size(); i++, index++) {
        ByteBuffer pixels = ByteBuffer.allocate(784 * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        BufferedImage img = new BufferedImage(28, 28, BufferedImage.TYPE_BYTE_GRAY);
        for (int p = 0; p < 784; p++) {
          pixels.putFloat(x[i * 784 + p]);
          img.getRaster().setSample(p % 28, p / 28, 0, (int) x[i * 784 + p]);
        }
        rows.add(RowFactory.create(pixels.array(), b.labels()[i]));
        ByteArrayOutputStream png = new ByteArrayOutputStream();
        ImageIO.write(img, "png", png);
        Path f =
            pngFolder
                .resolve(Integer.toString(b.labels()[i]))
                .resolve(String.format("%04d.png", index));
        Files.createDirectories(f.getParent());
        Files.write(f, png.toByteArray());
      }
    }
    assertEquals(SAMPLES, rows.size());
    parquet = dir.resolve("holdout.parquet");
    // One file: the table's order is the IDX file's, so the driver's first batch (the per-layer
    // diagnosis) is one machine's first batch.
    spark
        .createDataFrame(
            rows,
            new StructType()
                .add("pixels", DataTypes.BinaryType)
                .add("label", DataTypes.IntegerType))
        .coalesce(1)
        .write()
        .parquet(parquet.toString());
    local = Validator.validate(config(sample.holdout().images()).withLimit(SAMPLES));
  }

  @AfterAll
  static void stop() {
    spark.stop();
  }

  private static ValidationConfig config(Path holdout) {
    return ValidationConfig.of(sample.model(), candidate, holdout)
        .withPreprocess(sample.preprocess())
        .withClassNames(sample.classNames())
        .withBatchSize(8)
        .withLatency(0, 0)
        .withDiagnosisBatches(1);
  }

  private static void assertSameFigures(ValidationReport one, ValidationReport distributed) {
    assertEquals(SAMPLES, one.classification().samples());
    assertEquals(one.classification(), distributed.classification());
    assertEquals(one.confidence(), distributed.confidence());
    assertEquals(one.outputs(), distributed.outputs());
    assertEquals(one.gate(), distributed.gate());
    assertEquals(one.diagnosis(), distributed.diagnosis());
    assertEquals(SAMPLES, distributed.holdout().samples());
    // The candidate really differs from its reference: the figures compared are not trivially
    // equal.
    assertTrue(one.outputs().maxAbsError() > 0, one.outputs().toString());
  }

  @ParameterizedTest
  @ValueSource(ints = {1, 3})
  @Order(1)
  void parquetHoldoutGivesTheOneMachineFigures(int partitions) throws Exception {
    ValidationReport distributed =
        SparkValidation.validate(
            spark,
            config(parquet),
            new ParquetSource(parquet.toString(), "pixels", "label", true),
            partitions,
            ProgressListener.silent());
    assertSameFigures(local, distributed);
    assertTrue(
        String.valueOf(distributed.provenance().config().get("engine"))
            .contains("(" + partitions + " partitions)"));
    assertEquals(parquet.toString(), distributed.holdout().path());
    assertTrue(
        String.valueOf(distributed.provenance().config().get("holdoutSha256Of"))
            .contains("data files"));
  }

  /** Three partitions (the partitioning is the Parquet test's concern; the source is this one's). */
  @Test
  @Order(2)
  void binaryFileHoldoutGivesTheOneMachineFiguresAndFolderHash() throws Exception {
    ValidationReport one = Validator.validate(config(pngFolder));
    ValidationReport distributed =
        SparkValidation.validate(
            spark,
            config(pngFolder),
            new BinaryFileSource(pngFolder.toUri().toString(), sample.classNames()),
            3,
            ProgressListener.silent());
    assertSameFigures(one, distributed);
    // The PNGs hold the IDX pixels exactly: the same figures as the IDX holdout, too.
    assertEquals(local.classification(), distributed.classification());
    assertEquals(one.provenance().holdoutSha256(), distributed.provenance().holdoutSha256());
    assertEquals(Hashes.sha256Tree(pngFolder), distributed.provenance().holdoutSha256());
  }

  /** Through the Spark jar's entry point, with the Parquet flags; last, since the command stops the session. */
  @Test
  @Order(3)
  void commandTakesTheParquetFlags() throws Exception {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    Path report = dir.resolve("report");
    int code =
        SparkMain.run(
            new String[] {
              "validate",
              "--reference",
              sample.model().toString(),
              "--candidate",
              candidate.toString(),
              "--holdout",
              parquet.toString(),
              "--data-column",
              "pixels",
              "--raw-floats",
              "--label-column",
              "label",
              "--preprocess",
              sample.preprocess(),
              "--classes",
              String.join(",", sample.classNames()),
              "--batch-size",
              "8",
              "--latency-runs",
              "0",
              "--diagnosis-batches",
              "0",
              "--master",
              "local[2]",
              "--partitions",
              "3",
              "--report",
              report.toString()
            },
            new PrintWriter(out, true),
            new PrintWriter(err, true));
    assertEquals(
        local.passed() ? ExitCode.OK.code() : ExitCode.GATE_FAILED.code(), code, err.toString());
    String json = Files.readString(report.resolve(ReportWriter.JSON));
    assertTrue(json.contains("holdoutSha256Of"), json);
    assertTrue(json.contains("(3 partitions)"), json);
    assertTrue(
        json.replace(" ", "").contains("\"agreeing\":" + local.classification().agreeing()), json);
  }
}
