package org.edgeopt.spark;

import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.spark.sql.SparkSession;
import org.edgeopt.core.EdgeoptException;
import org.edgeopt.core.io.OverwriteGuard;
import org.edgeopt.validate.ProgressListener;
import org.edgeopt.validate.ReportWriter;
import org.edgeopt.validate.TextSummary;
import org.edgeopt.validate.Thresholds;
import org.edgeopt.validate.ValidationConfig;
import org.edgeopt.validate.ValidationReport;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code validate} on Spark: the flags of {@code edgeopt validate}, plus where the cluster is and
 * how many partitions to cut the holdout into; writes the same report.json, junit.xml and report.html.
 */
@Command(
    name = "validate",
    mixinStandardHelpOptions = true,
    description =
        "Validate an ONNX candidate against its FP32 reference on Spark: executors run both models over their"
            + " partitions of the holdout, the driver merges the drift figures (the single-machine figures, exactly) and"
            + " writes the report. The per-layer diagnosis and the latency run on the driver.",
    exitCodeListHeading = "%nExit codes:%n",
    exitCodeList = {
      "0:the gate passed",
      "1:internal error",
      "2:usage error",
      "3:the validation could not run (model, data or options)",
      "4:the gate failed"
    },
    footerHeading = "%nExample:%n",
    footer = {
      "  edgeopt validate --reference model.onnx --candidate model.int8.onnx --holdout holdout/ \\",
      "      --engine spark --master local[2] --partitions 4 --report out/",
      "  spark-submit --master spark://head:7077 --class org.edgeopt.spark.SparkMain edgeopt-spark.jar \\",
      "      validate --reference model.onnx --candidate model.int8.onnx \\",
      "      --holdout hdfs:///lake/holdout.parquet --data-column png --label-column label --report out/"
    })
final class SparkValidateCommand implements Callable<Integer> {
  @Option(
      names = "--reference",
      required = true,
      paramLabel = "FP32_MODEL",
      description = "The FP32 reference (.onnx).")
  Path reference;

  @Option(
      names = "--candidate",
      required = true,
      paramLabel = "MODEL",
      description = "The optimized model (.onnx).")
  Path candidate;

  @Option(
      names = "--holdout",
      required = true,
      paramLabel = "PATH|URI",
      description =
          "Labelled holdout data: IDX/npy/CSV/image folder at a path every executor reads, a Parquet table,"
              + " or an image folder (--format binaryfile).")
  String holdout;

  @Option(
      names = "--preprocess",
      paramLabel = "SPEC",
      defaultValue = "",
      description = "Preprocessing, as edgeopt validate.")
  String preprocess;

  @Option(
      names = "--classes",
      split = ",",
      paramLabel = "NAME",
      description = "Class names in label order (image folders: also which folder is which class).")
  List<String> classes = List.of();

  @Option(
      names = "--task",
      paramLabel = "TASK",
      defaultValue = "auto",
      description = "auto, classification or regression.")
  String task;

  @Option(names = "--max-top1-drop", paramLabel = "POINTS")
  Double maxTop1Drop;

  @Option(names = "--min-agreement", paramLabel = "PERCENT")
  Double minAgreement;

  @Option(
      names = "--max-p95-latency-ms",
      paramLabel = "MS",
      description = "Measured on the driver host.")
  Double maxP95LatencyMs;

  @Option(names = "--max-output-error", paramLabel = "ABS")
  Double maxOutputError;

  @Option(
      names = "--report",
      paramLabel = "DIR",
      description = "Write report.json, junit.xml and report.html here (on the driver).")
  Path report;

  @Option(
      names = "--latency-runs",
      paramLabel = "N",
      defaultValue = "" + ValidationConfig.DEFAULT_LATENCY_RUNS)
  int latencyRuns;

  @Option(
      names = "--warmup-runs",
      paramLabel = "N",
      defaultValue = "" + ValidationConfig.DEFAULT_WARMUP_RUNS)
  int warmupRuns;

  @Option(
      names = "--threads",
      paramLabel = "N",
      defaultValue = "1",
      description = "Intra-op threads of every session.")
  int threads;

  @Option(
      names = "--batch-size",
      paramLabel = "N",
      defaultValue = "" + ValidationConfig.DEFAULT_BATCH_SIZE)
  int batchSize;

  @Option(
      names = "--diagnosis-batches",
      paramLabel = "N",
      defaultValue = "" + ValidationConfig.DEFAULT_DIAGNOSIS_BATCHES,
      description = "Holdout batches for the per-layer diagnosis, run on the driver; 0 skips it.")
  int diagnosisBatches;

  @Option(
      names = "--limit",
      paramLabel = "N",
      description = "Use at most the first N holdout samples.")
  Integer limit;

  @Option(names = "--target", paramLabel = "PROFILE", defaultValue = "")
  String target;

  @Option(
      names = "--arithmetic",
      paramLabel = "WHOSE",
      defaultValue = "target",
      description = "target or host.")
  String arithmetic;

  @Option(
      names = "--partitions",
      paramLabel = "N",
      defaultValue = "0",
      description = "Partitions to cut the holdout into (default: Spark's default parallelism).")
  int partitions;

  @CommandLine.Mixin SparkEngineOptions engine;

  @CommandLine.Mixin SparkDataOptions dataOptions;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() throws EdgeoptException {
    ValidationConfig config = config();
    SampleSource source;
    try {
      source = dataOptions.source(holdout, classes);
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
    }
    if (report != null) {
      Map<String, Path> inputs = new java.util.LinkedHashMap<>();
      inputs.put("--reference", reference);
      inputs.put("--candidate", candidate);
      if (source instanceof FileSource) {
        inputs.put("--holdout", Path.of(holdout));
      }
      OverwriteGuard.refuse(
          inputs,
          Map.of(
              "--report",
              report,
              "--report's " + ReportWriter.JSON,
              report.resolve(ReportWriter.JSON),
              "--report's " + ReportWriter.JUNIT,
              report.resolve(ReportWriter.JUNIT),
              "--report's " + ReportWriter.HTML,
              report.resolve(ReportWriter.HTML)));
    }
    SparkSession spark = engine.session("edgeopt validate " + candidate.getFileName());
    ValidationReport result;
    try {
      result =
          SparkValidation.validate(spark, config, source, partitions, ProgressListener.silent());
    } finally {
      spark.stop();
    }
    return TextSummary.finish(
        spec.commandLine().getOut(),
        result,
        report == null ? null : ReportWriter.write(result, report));
  }

  private ValidationConfig config() {
    CommandLine cl = spec.commandLine();
    if (batchSize < 1
        || partitions < 0
        || threads < 0
        || latencyRuns < 0
        || warmupRuns < 0
        || diagnosisBatches < 0
        || (limit != null && limit < 1)) {
      throw new CommandLine.ParameterException(
          cl,
          "--batch-size and --limit must be at least 1, --partitions, --threads,"
              + " --latency-runs, --warmup-runs and --diagnosis-batches at least 0");
    }
    ValidationConfig.Task t;
    ValidationConfig.Arithmetic a;
    try {
      t = ValidationConfig.Task.valueOf(task.strip().toUpperCase(Locale.ROOT));
      a = ValidationConfig.Arithmetic.valueOf(arithmetic.strip().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ParameterException(
          cl,
          "--task must be auto, classification or regression and --arithmetic"
              + " target or host, found '"
              + task
              + "' and '"
              + arithmetic
              + "'");
    }
    try {
      Thresholds th =
          maxTop1Drop == null
                  && minAgreement == null
                  && maxP95LatencyMs == null
                  && maxOutputError == null
              ? Thresholds.defaults()
              : new Thresholds(maxTop1Drop, minAgreement, maxP95LatencyMs, maxOutputError);
      return new ValidationConfig(
          reference,
          candidate,
          Path.of(holdout),
          preprocess,
          classes,
          dataOptions.labelColumn,
          t,
          th,
          batchSize,
          threads,
          latencyRuns,
          warmupRuns,
          diagnosisBatches,
          limit == null ? Integer.MAX_VALUE : limit,
          target,
          a);
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ParameterException(cl, e.getMessage());
    }
  }
}
