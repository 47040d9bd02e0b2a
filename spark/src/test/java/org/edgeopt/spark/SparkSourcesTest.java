package org.edgeopt.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
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
import org.edgeopt.calibrate.Calibration;
import org.edgeopt.calibrate.CalibrationConfig;
import org.edgeopt.calibrate.CalibrationMethod;
import org.edgeopt.calibrate.CalibrationProgress;
import org.edgeopt.core.EdgeoptException;
import org.edgeopt.core.ExitCode;
import org.edgeopt.core.data.Batch;
import org.edgeopt.core.data.Datasets;
import org.edgeopt.core.data.Preprocessing;
import org.edgeopt.core.quant.CalibrationTable;
import org.edgeopt.samples.SampleModel;
import org.edgeopt.samples.SampleModels;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The sources field data lives in: a Parquet table of tensors or of PNG bytes, and image folders
 * read by Spark's {@code binaryFile}; each gives the ranges one machine gives for the same samples.
 */
class SparkSourcesTest {
  private static final int SAMPLES = 120;
  private static SparkSession spark;
  @TempDir static Path dir;
  private static SampleModel sample;
  private static Preprocessing pre;
  private static Path pngFolder;
  private static Path parquetTensors;
  private static Path parquetPngs;

  @BeforeAll
  static void start() throws EdgeoptException, IOException {
    spark = TestSpark.session("local[2]");
    sample = SampleModels.fashionMnist();
    pre = Preprocessing.parse(sample.preprocess());
    // The raw pixels of the first samples of the bundled calibration split, three ways.
    List<Row> tensors = new ArrayList<>();
    List<Row> pngs = new ArrayList<>();
    pngFolder = dir.resolve("images");
    Iterator<Batch> it =
        Datasets.open(
                sample.calibration().images().getParent(), Preprocessing.identity(), null, null)
            .batches(50, SAMPLES);
    int index = 0;
    while (it.hasNext()) {
      Batch b = it.next();
      float[] x = b.input().toFloats();
      for (int i = 0; i < b.size(); i++, index++) {
        List<Float> pixels = new ArrayList<>();
        BufferedImage img = new BufferedImage(28, 28, BufferedImage.TYPE_BYTE_GRAY);
        for (int p = 0; p < 784; p++) {
          pixels.add(x[i * 784 + p]);
          img.getRaster().setSample(p % 28, p / 28, 0, (int) x[i * 784 + p]);
        }
        ByteArrayOutputStream png = new ByteArrayOutputStream();
        ImageIO.write(img, "png", png);
        tensors.add(RowFactory.create(pixels, b.labels()[i]));
        pngs.add(RowFactory.create(png.toByteArray(), b.labels()[i]));
        Path f =
            pngFolder
                .resolve(Integer.toString(b.labels()[i]))
                .resolve(String.format("%04d.png", index));
        Files.createDirectories(f.getParent());
        Files.write(f, png.toByteArray());
      }
    }
    parquetTensors = dir.resolve("tensors.parquet");
    spark
        .createDataFrame(
            tensors,
            new StructType()
                .add("pixels", DataTypes.createArrayType(DataTypes.FloatType))
                .add("label", DataTypes.IntegerType))
        .repartition(3)
        .write()
        .parquet(parquetTensors.toString());
    parquetPngs = dir.resolve("pngs.parquet");
    spark
        .createDataFrame(
            pngs,
            new StructType().add("png", DataTypes.BinaryType).add("label", DataTypes.IntegerType))
        .repartition(2)
        .write()
        .parquet(parquetPngs.toString());
  }

  @AfterAll
  static void stop() {
    spark.stop();
  }

  private static CalibrationConfig config() {
    // Percentile reads the whole histogram, as entropy does, at a fraction of its cost.
    return CalibrationConfig.of(CalibrationMethod.PERCENTILE).withBatchSize(16);
  }

  /** The single-machine table of the same samples: the IDX file's first ones, or the PNG folder. */
  private static CalibrationTable local(Path data, int samples) throws EdgeoptException {
    return Calibration.calibrate(
        sample.model(), data, pre, config().withSamples(samples), CalibrationProgress.NONE);
  }

  @Test
  void parquetTensorColumnGivesTheRangesOfOneMachine() throws EdgeoptException {
    CalibrationTable one = local(sample.calibration().images().getParent(), SAMPLES);
    ParquetSource source =
        new ParquetSource(parquetTensors.toUri().toString(), "pixels", "label", false);
    CalibrationTable two =
        SparkCalibration.calibrate(spark, sample.model(), source, pre, config(), 2);
    CalibrationTable five =
        SparkCalibration.calibrate(spark, sample.model(), source, pre, config(), 5);
    assertEquals(one.tensors(), two.tensors());
    assertEquals(SAMPLES, two.samples());
    assertEquals(
        two.toJson(),
        five.toJson().replace("(5 partitions)", "(2 partitions)"),
        "the data hash is one of the sample multiset: the same whatever the partitioning");
  }

  @Test
  void parquetPngColumnAndBinaryFilesGiveTheRangesOfThePngFolder() throws EdgeoptException {
    CalibrationTable one = local(pngFolder, Integer.MAX_VALUE);
    CalibrationTable parquet =
        SparkCalibration.calibrate(
            spark,
            sample.model(),
            new ParquetSource(parquetPngs.toString(), "png", "label", false),
            pre,
            config(),
            3);
    CalibrationTable files =
        SparkCalibration.calibrate(
            spark,
            sample.model(),
            new BinaryFileSource(pngFolder.toUri().toString(), List.of()),
            pre,
            config(),
            0);
    assertEquals(one.tensors(), parquet.tensors());
    assertEquals(one.tensors(), files.tensors());
    assertEquals(SAMPLES, files.samples());
    assertEquals(parquet.dataSha256(), files.dataSha256(), "the same samples, whichever source");
    assertNotEquals(
        one.dataSha256(), files.dataSha256(), "one machine hashes the files, Spark the samples");
  }

  @Test
  void firstSamplesOfATableAreTheFirstRows() throws EdgeoptException {
    CalibrationTable one = local(sample.calibration().images().getParent(), 50);
    CalibrationTable spark70 =
        SparkCalibration.calibrate(
            spark,
            sample.model(),
            new ParquetSource(parquetTensors.toString(), "pixels", "label", false),
            pre,
            config().withSamples(50),
            4);
    // The table was written in 3 shuffled partitions: the first 50 rows are not the first 50
    // images.
    assertEquals(50, spark70.samples());
    assertEquals(one.tensors().keySet(), spark70.tensors().keySet());
  }

  @Test
  void aMissingColumnIsNamed() {
    EdgeoptException e =
        assertThrows(
            EdgeoptException.class,
            () ->
                SparkCalibration.calibrate(
                    spark,
                    sample.model(),
                    new ParquetSource(parquetTensors.toString(), "image", "label", false),
                    pre,
                    config(),
                    2));
    assertEquals(ExitCode.INVALID_INPUT, e.exitCode());
    assertTrue(
        e.getMessage().contains("expected a column 'image', found [pixels, label]"),
        e.getMessage());
  }
}
