package org.edgeopt.spark;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.SortedMap;
import java.util.function.UnaryOperator;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.SparkSession;
import org.edgeopt.core.EdgeoptException;
import org.edgeopt.core.data.DataException;
import org.edgeopt.core.data.Dataset;
import org.edgeopt.core.data.Preprocessing;
import org.edgeopt.core.graph.Graph;
import org.edgeopt.core.onnx.OnnxModels;
import org.edgeopt.core.runtime.InferenceSession;
import org.edgeopt.validate.DriftAccumulator;
import org.edgeopt.validate.DriftCodec;
import org.edgeopt.validate.HoldoutPass;
import org.edgeopt.validate.OpenedHoldout;
import org.edgeopt.validate.ProgressListener;
import org.edgeopt.validate.ValidationConfig;
import org.edgeopt.validate.ValidationReport;
import org.edgeopt.validate.Validator;

/**
 * Validates a candidate against its reference on Spark: executors run both models over their
 * partitions of the holdout and fold the drift figures; the driver merges them by partition id and
 * writes the report with the single-machine code. Every figure merges exactly ({@link DriftAccumulator}),
 * so accuracy, agreement, per-class figures, confidences and output errors are those of
 * {@code edgeopt validate}, whatever the partitioning. The per-layer diagnosis (on the first
 * {@code --diagnosis-batches} batches) and the latency run on the driver, as the report's
 * provenance says.
 *
 * <pre>{@code
 * ValidationReport r = SparkValidation.validate(spark, ValidationConfig.of(ref, cand, holdout), 8, ProgressListener.silent());
 * }</pre>
 */
public final class SparkValidation {
  private SparkValidation() {}

  /**
   * Validates as {@link Validator#validate} does, with the accuracy pass spread over
   * {@code partitions} partitions (0: Spark's default parallelism). The holdout is a file source:
   * a path every executor can read.
   *
   * @throws EdgeoptException (invalid input) when the models or the holdout cannot be read or do not fit
   */
  public static ValidationReport validate(
      SparkSession spark, ValidationConfig config, int partitions, ProgressListener progress)
      throws EdgeoptException {
    return validate(spark, config, fileSource(config), partitions, progress);
  }

  /**
   * Validates over the samples of {@code source}: a file source as above, or a Parquet table or
   * an image folder read by {@code binaryFile}. For a table the driver takes the first samples
   * (those {@code --limit} counts first) for the task decision, the per-layer diagnosis and the
   * latency, decoded as the executors decode theirs, and the report's holdout hash is that of the
   * table's files ({@link TableSource#sha256Of()}).
   *
   * @throws EdgeoptException (invalid input) when the models or the holdout cannot be read or do not fit
   */
  public static ValidationReport validate(
      SparkSession spark,
      ValidationConfig config,
      SampleSource source,
      int partitions,
      ProgressListener progress)
      throws EdgeoptException {
    return validate(spark, config, source, partitions, progress, UnaryOperator.identity());
  }

  /** As above, with the executors' job wrapped by {@code decorate} (tests use it to kill an executor). */
  static ValidationReport validate(
      SparkSession spark,
      ValidationConfig config,
      int partitions,
      ProgressListener progress,
      UnaryOperator<PartitionJob> decorate)
      throws EdgeoptException {
    return validate(spark, config, fileSource(config), partitions, progress, decorate);
  }

  private static FileSource fileSource(ValidationConfig config) {
    return new FileSource(config.holdout().toString(), config.classNames(), config.labelColumn());
  }

  private static ValidationReport validate(
      SparkSession spark,
      ValidationConfig config,
      SampleSource source,
      int partitions,
      ProgressListener progress,
      UnaryOperator<PartitionJob> decorate)
      throws EdgeoptException {
    for (Path model : new Path[] {config.reference(), config.candidate()}) {
      if (!model.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".onnx")) {
        throw EdgeoptException.invalid(
            model
                + ": validate on Spark runs ONNX models only: expected a .onnx file"
                + " (validate TorchScript or TFLite candidates on one machine)");
      }
    }
    OpenedHoldout opened =
        source instanceof TableSource table ? open(spark, config, table, partitions) : null;
    return Validator.validate(
        config, progress, new Pass(spark, config, source, partitions, decorate), opened);
  }

  /**
   * Opens a table on the driver: its sample count, its first samples (as many as the task
   * decision, the diagnosis and the latency read) and its files' fingerprint.
   */
  private static OpenedHoldout open(
      SparkSession spark, ValidationConfig config, TableSource source, int partitions)
      throws EdgeoptException {
    Graph graph = OnnxModels.read(config.reference());
    if (graph.inputs().isEmpty()) {
      throw EdgeoptException.invalid(
          config.reference()
              + ": expected a model with an input to feed the holdout to, found none");
    }
    long[] input = SparkCalibration.inputShape(graph.inputs().get(0));
    long[] sampleShape =
        input.length == 0 ? new long[0] : Arrays.copyOfRange(input, 1, input.length);
    int fixedBatch = input.length > 0 && input[0] > 0 ? (int) input[0] : 0;
    SourceSettings settings =
        new SourceSettings(
            Preprocessing.parse(config.preprocess()).toSpec(),
            config.limit(),
            config.batchSize(),
            partitions,
            sampleShape);
    TableSource.Table table = source.table(spark, settings);
    long count;
    try {
      count = table.rows().count();
    } catch (RuntimeException e) {
      throw EdgeoptException.invalid(
          source.uri() + ": cannot read the holdout: " + ParquetSource.firstLine(e), e);
    }
    int total = (int) Math.min(count, config.limit());
    long head =
        Math.max(
            Math.max(config.batchSize(), fixedBatch),
            Math.max(
                (long) config.diagnosisBatches() * config.batchSize(),
                (long) config.warmupRuns() + config.latencyRuns()));
    DecodedRows first;
    try {
      first =
          new DecodedRows(
              source.head(table, (int) Math.min(total, head)),
              table.decoder(),
              sampleShape,
              source.describe() + " (" + count + " samples)");
    } catch (DataException e) {
      throw EdgeoptException.invalid(e.getMessage(), e);
    }
    return new OpenedHoldout(
        first,
        (int) Math.min(count, Integer.MAX_VALUE),
        source.uri(),
        source.sha256(spark, table),
        source.sha256Of());
  }

  /** The accuracy pass on the executors. */
  private static final class Pass implements HoldoutPass {
    private final SparkSession spark;
    private final ValidationConfig config;
    private final SampleSource source;
    private final int partitions;
    private final UnaryOperator<PartitionJob> decorate;
    private int partitionsRun;

    Pass(
        SparkSession spark,
        ValidationConfig config,
        SampleSource source,
        int partitions,
        UnaryOperator<PartitionJob> decorate) {
      this.spark = spark;
      this.config = config;
      this.source = source;
      this.partitions = partitions;
      this.decorate = decorate;
    }

    @Override
    public DriftAccumulator run(
        Dataset data,
        InferenceSession ref,
        InferenceSession cand,
        Settings settings,
        ProgressListener progress)
        throws EdgeoptException {
      JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
      Broadcast<byte[]> refBytes =
          jsc.broadcast(OnnxModels.toBytes(OnnxModels.read(config.reference())));
      Broadcast<byte[]> candBytes =
          jsc.broadcast(OnnxModels.toBytes(OnnxModels.read(config.candidate())));
      Settings executor =
          new Settings(
              settings.classification(),
              settings.classNames(),
              settings.tolerance(),
              settings.holdoutWhere(),
              settings.batchSize(),
              Integer.MAX_VALUE,
              settings.threads(),
              settings.candidateArithmetic());
      SourceSettings cut =
          new SourceSettings(
              Preprocessing.parse(config.preprocess()).toSpec(),
              settings.limit(),
              settings.batchSize(),
              partitions,
              data.sampleShape());
      SortedMap<Integer, byte[]> partials;
      progress.start("Holdout on Spark", settings.limit());
      try {
        partials =
            source.run(
                spark,
                cut,
                decorate.apply(new ValidationPartitionJob(refBytes, candBytes, executor)));
      } finally {
        refBytes.destroy();
        candBytes.destroy();
        progress.finish();
      }
      DriftAccumulator merged = null;
      // Partition-id order is sample order: what the merge keeps from the left operand is then one
      // machine's.
      for (byte[] p : partials.values()) {
        DriftAccumulator part = DriftCodec.decode(p);
        if (merged == null) {
          merged = part;
        } else {
          merged.merge(part);
        }
      }
      if (merged == null) {
        throw EdgeoptException.invalid(
            settings.holdoutWhere() + ": the holdout yielded no samples: expected at least one");
      }
      partitionsRun = partials.size();
      return merged;
    }

    @Override
    public String engine() {
      return "spark "
          + spark.version()
          + " ("
          + partitionsRun
          + " partitions); the per-layer diagnosis and the latency"
          + " ran on the driver host";
    }
  }
}
