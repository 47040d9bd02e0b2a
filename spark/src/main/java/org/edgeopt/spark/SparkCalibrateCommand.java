package org.edgeopt.spark;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.spark.sql.SparkSession;
import org.edgeopt.calibrate.CalibrationConfig;
import org.edgeopt.calibrate.CalibrationMethod;
import org.edgeopt.calibrate.TensorRtCalibrationCache;
import org.edgeopt.core.EdgeoptException;
import org.edgeopt.core.ExitCode;
import org.edgeopt.core.data.Preprocessing;
import org.edgeopt.core.io.AtomicFiles;
import org.edgeopt.core.quant.CalibrationTable;
import org.edgeopt.core.targets.TargetProfiles;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code calibrate} on Spark: the flags of {@code edgeopt calibrate}, plus where the cluster is and
 * how the data is laid out; writes the same {@code calibration.json}.
 */
@Command(
    name = "calibrate",
    mixinStandardHelpOptions = true,
    description =
        "Calibrate MODEL on Spark: executors run ONNX Runtime over their partitions, the driver merges the"
            + " statistics and writes calibration.json, byte for byte the single-machine table for the same samples.",
    exitCodeListHeading = "%nExit codes:%n",
    exitCodeList = {
      "0:the table was written",
      "1:internal error",
      "2:usage error",
      "3:invalid input (model, data, columns, preprocessing)"
    },
    footerHeading = "%nExamples:%n",
    footer = {
      "  spark-submit --master spark://head:7077 --class org.edgeopt.spark.SparkMain edgeopt-spark.jar \\",
      "      calibrate model.onnx --data hdfs:///lake/line7.parquet --data-column png --label-column label",
      "  edgeopt calibrate model.onnx --data calibration/ --engine spark --master local[2] --partitions 4"
    })
final class SparkCalibrateCommand implements Callable<Integer> {
  @Parameters(
      index = "0",
      paramLabel = "MODEL",
      description = "The FP32 ONNX model (read by the driver, broadcast to the executors).")
  Path model;

  @Option(
      names = "--data",
      required = true,
      paramLabel = "PATH|URI",
      description =
          "Field data: IDX/npy/CSV/image folder at a path every executor reads, a Parquet table, or an image folder (--format binaryfile).")
  String data;

  @Option(
      names = "--classes",
      split = ",",
      paramLabel = "NAME",
      description = "Class names in label order (image folders).")
  List<String> classes = List.of();

  @Option(
      names = "--partitions",
      paramLabel = "N",
      defaultValue = "0",
      description =
          "Partitions to cut the data into (default: the source's own, or Spark's default parallelism).")
  int partitions;

  @Option(
      names = "--method",
      paramLabel = "METHOD",
      description = "minmax, percentile, entropy or mse (default: the target profile's).")
  String method;

  @Option(
      names = "--percentile",
      paramLabel = "P",
      description = "Percent of the values the percentile method keeps.")
  Double percentile;

  @Option(
      names = "--samples",
      paramLabel = "N",
      description = "Use at most the first N samples (default: all).")
  Integer samples;

  @Option(
      names = "--batch-size",
      paramLabel = "N",
      defaultValue = "" + CalibrationConfig.DEFAULT_BATCH_SIZE,
      description = "Samples per inference (default: ${DEFAULT-VALUE}).")
  int batchSize;

  @Option(
      names = "--preprocess",
      paramLabel = "SPEC",
      description = "How raw samples become model input (as edgeopt calibrate).")
  String preprocess;

  @Option(
      names = {"-t", "--target"},
      paramLabel = "PROFILE",
      defaultValue = "onnxruntime-cpu",
      description = "Target profile.")
  String target;

  @Option(
      names = "--threads",
      paramLabel = "N",
      defaultValue = "0",
      description = "ONNX Runtime threads per task (default: spark.task.cpus).")
  int threads;

  @Option(
      names = "--trt-cache",
      paramLabel = "FILE",
      description = "Also write a TensorRT calibration cache.")
  Path trtCache;

  @Option(
      names = {"-o", "--output"},
      paramLabel = "FILE",
      defaultValue = "calibration.json",
      description = "Where the driver writes the table.")
  Path output;

  @CommandLine.Mixin SparkEngineOptions engine;

  @CommandLine.Mixin SparkDataOptions dataOptions;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() throws EdgeoptException {
    CalibrationConfig cfg = config();
    Preprocessing pre = Preprocessing.parse(preprocess);
    SampleSource source = source();
    if (source instanceof FileSource files) {
      files.open(pre); // a missing or unreadable file fails here, before a Spark session is started
    }
    long start = System.nanoTime();
    SparkSession spark = engine.session("edgeopt calibrate " + model.getFileName());
    CalibrationTable table;
    try {
      table = SparkCalibration.calibrate(spark, model, source, pre, cfg, partitions);
    } finally {
      spark.stop();
    }
    Map<Path, byte[]> files = new LinkedHashMap<>();
    files.put(output, table.toJson().getBytes(StandardCharsets.UTF_8));
    if (trtCache != null) {
      files.put(
          trtCache,
          TensorRtCalibrationCache.of(table, TensorRtCalibrationCache.DEFAULT_VERSION)
              .format()
              .getBytes(StandardCharsets.UTF_8));
    }
    try {
      AtomicFiles.writeAll(files);
    } catch (IOException e) {
      throw new EdgeoptException(
          ExitCode.INVALID_INPUT, "cannot write the calibration table " + output + ": " + e, e);
    }
    spec.commandLine()
        .getOut()
        .printf(
            Locale.ROOT,
            "calibrated %d tensors on %d samples with %s (target %s) in %.1f s -> %s%n",
            table.tensors().size(),
            table.samples(),
            table.method(),
            target,
            (System.nanoTime() - start) / 1e9,
            output);
    spec.commandLine().getOut().flush();
    return ExitCode.OK.code();
  }

  /** Returns the source the flags describe. */
  SampleSource source() {
    try {
      return dataOptions.source(data, classes);
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
    }
  }

  private CalibrationConfig config() throws EdgeoptException {
    if (samples != null && samples < 1) {
      throw new CommandLine.ParameterException(
          spec.commandLine(), "--samples must be at least 1, found " + samples);
    }
    if (batchSize < 1 || partitions < 0 || threads < 0) {
      throw new CommandLine.ParameterException(
          spec.commandLine(),
          "--batch-size must be at least 1, --partitions and"
              + " --threads at least 0, found "
              + batchSize
              + ", "
              + partitions
              + ", "
              + threads);
    }
    CalibrationConfig cfg =
        CalibrationConfig.forTarget(TargetProfiles.get(target))
            .withBatchSize(batchSize)
            .withThreads(threads);
    if (method != null) {
      cfg =
          cfg.withMethod(
              Arrays.stream(CalibrationMethod.values())
                  .filter(x -> x.id().equalsIgnoreCase(method.strip()))
                  .findFirst()
                  .orElseThrow(
                      () ->
                          new CommandLine.ParameterException(
                              spec.commandLine(),
                              "--method: expected minmax, percentile, entropy or mse, found '"
                                  + method
                                  + "'")));
    }
    if (percentile != null) {
      cfg = cfg.withPercentile(percentile);
    }
    return samples == null ? cfg : cfg.withSamples(samples);
  }
}
