package org.edgeopt.spark;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SortedMap;
import java.util.function.UnaryOperator;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.SparkSession;
import org.edgeopt.calibrate.Calibration;
import org.edgeopt.calibrate.CalibrationConfig;
import org.edgeopt.calibrate.CalibrationStatistics;
import org.edgeopt.core.EdgeoptException;
import org.edgeopt.core.data.Preprocessing;
import org.edgeopt.core.graph.Graph;
import org.edgeopt.core.graph.Shape;
import org.edgeopt.core.graph.Value;
import org.edgeopt.core.io.Hashes;
import org.edgeopt.core.onnx.OnnxModels;
import org.edgeopt.core.quant.CalibrationTable;

/**
 * Calibrates a model on Spark: each executor folds the statistics of its partitions, the driver
 * merges the partials in partition-id order and computes the ranges once, with the code one
 * machine uses. Merging is exact ({@code TensorStatistics}), so the table does not depend on the
 * partitioning, the executor count or retried tasks; from a {@link FileSource} it is byte for byte
 * the one {@code edgeopt calibrate} writes.
 *
 * <pre>{@code
 * CalibrationTable t = SparkCalibration.calibrate(spark, Path.of("model.onnx"),
 *     new ParquetSource("s3a://lake/line7/", "png", "label", false), Preprocessing.parse("scale=1/255"),
 *     CalibrationConfig.of(CalibrationMethod.ENTROPY), 0);
 * }</pre>
 */
public final class SparkCalibration {
  private SparkCalibration() {}

  /**
   * Calibrates {@code model} on the samples of {@code source}.
   *
   * @param partitions how many partitions to cut the data into (0: the source's own, or Spark's default parallelism)
   * @throws EdgeoptException (invalid input) when the model or the data cannot be read or do not fit
   */
  public static CalibrationTable calibrate(
      SparkSession spark,
      Path model,
      SampleSource source,
      Preprocessing pre,
      CalibrationConfig config,
      int partitions)
      throws EdgeoptException {
    return calibrate(spark, model, source, pre, config, partitions, UnaryOperator.identity());
  }

  /** As above, with the executors' job wrapped by {@code decorate} (tests use it to kill an executor). */
  static CalibrationTable calibrate(
      SparkSession spark,
      Path model,
      SampleSource source,
      Preprocessing pre,
      CalibrationConfig config,
      int partitions,
      UnaryOperator<PartitionJob> decorate)
      throws EdgeoptException {
    Graph graph = OnnxModels.read(model);
    OnnxModels.requireOutputs(graph, model.toString());
    if (graph.inputs().size() != 1) {
      throw EdgeoptException.invalid(
          model
              + ": expected a model with one input to feed the data to, found "
              + graph.inputs().size()
              + " "
              + graph.inputs().stream().map(Value::name).toList());
    }
    long[] input = inputShape(graph.inputs().get(0));
    // The batch the capture session will run: the model's own when it fixes it (as one machine
    // does).
    int batch = input.length > 0 && input[0] > 0 ? (int) input[0] : config.batchSize();
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    Broadcast<byte[]> bytes = jsc.broadcast(OnnxModels.toBytes(graph));
    int taskThreads =
        config.threads() > 0
            ? config.threads()
            : spark.sparkContext().getConf().getInt("spark.task.cpus", 1);
    CalibrationPartitionJob job =
        new CalibrationPartitionJob(
            bytes, ExecutorCalibration.of(config, batch, taskThreads), model.toString());
    SourceSettings settings =
        new SourceSettings(
            pre.toSpec(),
            config.samples(),
            batch,
            partitions,
            input.length == 0 ? new long[0] : Arrays.copyOfRange(input, 1, input.length));
    SortedMap<Integer, byte[]> partials;
    try {
      partials = source.run(spark, settings, decorate.apply(job));
    } finally {
      bytes.destroy();
    }
    CalibrationStatistics merged = null;
    byte[] sampleSet = new byte[SampleSetHash.BYTES];
    // Partition-id order: the merge is exact in any order, and this one is also reproducible.
    for (byte[] p : partials.values()) {
      PartialStatistics part = PartialStatistics.decode(p);
      merged = merged == null ? part.statistics() : merged.merge(part.statistics());
      sampleSet = SampleSetHash.add(sampleSet, part.sampleSetPartial());
    }
    if (merged == null || merged.samples() == 0) {
      throw EdgeoptException.invalid(
          source.describe() + ": expected at least one sample to calibrate on, found none");
    }
    if (source instanceof FileSource files) {
      return Calibration.tableForFiles(
          merged, config, model, Path.of(files.path()), files.open(pre), pre);
    }
    Map<String, String> p = new LinkedHashMap<>();
    p.put("model", model.toString());
    p.put("data", source.describe());
    p.put(
        "dataSha256.of",
        "the multiset of preprocessed float32 samples fed (SHA-256 of the sum mod 2^256 of each sample's SHA-256)");
    p.put("preprocess", pre.toSpec());
    p.put("engine", "spark " + spark.version() + " (" + partials.size() + " partitions)");
    try {
      return Calibration.table(
          merged, config, Hashes.sha256(model), SampleSetHash.finish(sampleSet), p);
    } catch (IOException e) {
      throw EdgeoptException.invalid(
          model + ": cannot hash the model for provenance: " + e.getMessage(), e);
    }
  }

  /** Returns the declared input shape, -1 for unknown dimensions, empty when the input has none. */
  static long[] inputShape(Value input) {
    if (!input.hasType() || input.type().shape() == null) {
      return new long[0];
    }
    Shape s = input.type().shape();
    return s.sizes();
  }
}
