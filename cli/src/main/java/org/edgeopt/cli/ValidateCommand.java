package org.edgeopt.cli;

import java.io.OutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import org.edgeopt.core.EdgeoptException;
import org.edgeopt.core.io.OverwriteGuard;
import org.edgeopt.pipeline.Stages;
import org.edgeopt.samples.SampleModel;
import org.edgeopt.validate.ConsoleProgress;
import org.edgeopt.validate.ProgressListener;
import org.edgeopt.validate.ReportWriter;
import org.edgeopt.validate.TextSummary;
import org.edgeopt.validate.Thresholds;
import org.edgeopt.validate.ValidationConfig;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code edgeopt validate}: compares a candidate with its FP32 reference on a holdout set and
 * exits 0 when the accuracy gate passes, 4 when it fails, 3 when the validation cannot run.
 */
@Command(
    name = "validate",
    mixinStandardHelpOptions = true,
    description = {
      "Compare a candidate model with its FP32 reference on a holdout set: accuracy and confidence drift,"
          + " per-layer error diagnosis, latency, and the accuracy gate.",
      "Without any threshold option the gate is --max-top1-drop "
          + Thresholds.DEFAULT_MAX_TOP1_DROP_POINTS
          + "."
    },
    footerHeading = "%nExit codes:%n",
    footer = {
      "  0  the gate passed",
      "  3  the validation could not run (model, data or options)",
      "  4  the gate failed"
    })
public final class ValidateCommand implements Callable<Integer>, CommonOptions.VerbosityAware {
  @CommandLine.Mixin CommonOptions common;
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Option(
      names = "--reference",
      required = true,
      paramLabel = "FP32_MODEL",
      description = "The FP32 reference model (.onnx or TorchScript .pt).")
  Path reference;

  @Option(
      names = "--candidate",
      required = true,
      paramLabel = "MODEL",
      description =
          "The optimized model (.onnx QDQ/FP16, .pt, or .tflite with the TFLite target installed).")
  Path candidate;

  @Option(
      names = "--engine",
      paramLabel = "ENGINE",
      defaultValue = "local",
      description =
          "local (this JVM, the default) or spark: hand over to edgeopt-spark.jar, whose executors run the"
              + " accuracy pass over partitions of the holdout (same figures; diagnosis and latency on the driver). It also"
              + " takes --partitions N, and Parquet or binaryFile holdouts: --format, --data-column, --raw-floats"
              + " (docs/scale-out.md).")
  String engine;

  @Option(
      names = "--master",
      paramLabel = "URL",
      description =
          "With --engine spark: local[*], spark://host:7077, yarn, k8s://... (default: local[*]).")
  String master;

  /** Options only the Spark engine knows, passed through to it unread. */
  @CommandLine.Unmatched List<String> engineOptions = new java.util.ArrayList<>();

  @Option(
      names = "--holdout",
      paramLabel = "PATH",
      description =
          "Labelled holdout data: IDX folder or file, CSV, .npy, or one image folder per class"
              + " (with --engine spark also a Parquet table or any Hadoop URI)."
              + " Defaults to the sample's holdout when the reference is a sample model (sample.json beside it).")
  Path holdout;

  @Option(
      names = "--preprocess",
      paramLabel = "SPEC",
      description =
          "Preprocessing, e.g. scale=0.00392156862745098,mean=0.2860,std=0.3530 (keys: resize, crop,"
              + " channels, scale, mean, std, layout). Defaults to the sample's, else raw values.")
  String preprocess;

  @Option(
      names = "--classes",
      split = ",",
      paramLabel = "NAME",
      description = "Class names in label order, comma-separated.")
  List<String> classes;

  @Option(
      names = "--label-column",
      paramLabel = "NAME",
      description = "The label column of a CSV holdout (default: label).")
  String labelColumn;

  @Option(
      names = "--task",
      paramLabel = "TASK",
      defaultValue = "auto",
      description =
          "auto, classification or regression (compare outputs element by element). Default: ${DEFAULT-VALUE}.")
  String task;

  @Option(
      names = "--max-top1-drop",
      paramLabel = "POINTS",
      description = "Largest allowed top-1 loss in percentage points.")
  Double maxTop1Drop;

  @Option(
      names = "--min-agreement",
      paramLabel = "PERCENT",
      description = "Smallest allowed share of samples where both models predict the same class.")
  Double minAgreement;

  @Option(
      names = "--max-p95-latency-ms",
      paramLabel = "MS",
      description = "Largest allowed candidate p95 latency at batch 1.")
  Double maxP95LatencyMs;

  @Option(
      names = "--max-output-error",
      paramLabel = "ABS",
      description =
          "Largest allowed |candidate - reference| of any output value (regression or detector heads).")
  Double maxOutputError;

  @Option(
      names = "--report",
      paramLabel = "DIR",
      description = "Write report.json, junit.xml and report.html here.")
  Path report;

  @Option(
      names = "--latency-runs",
      paramLabel = "N",
      defaultValue = "" + ValidationConfig.DEFAULT_LATENCY_RUNS,
      description = "Timed batch-1 runs per model; 0 skips latency. Default: ${DEFAULT-VALUE}.")
  int latencyRuns;

  @Option(
      names = "--warmup-runs",
      paramLabel = "N",
      defaultValue = "" + ValidationConfig.DEFAULT_WARMUP_RUNS,
      description = "Untimed runs before timing. Default: ${DEFAULT-VALUE}.")
  int warmupRuns;

  @Option(
      names = "--threads",
      paramLabel = "N",
      defaultValue = "1",
      description =
          "Intra-op threads of every session (0 = runtime default). Default: ${DEFAULT-VALUE}.")
  int threads;

  @Option(
      names = "--batch-size",
      paramLabel = "N",
      defaultValue = "" + ValidationConfig.DEFAULT_BATCH_SIZE,
      description = "Batch size of the accuracy pass. Default: ${DEFAULT-VALUE}.")
  int batchSize;

  @Option(
      names = "--diagnosis-batches",
      paramLabel = "N",
      defaultValue = "" + ValidationConfig.DEFAULT_DIAGNOSIS_BATCHES,
      description =
          "Holdout batches for the per-layer diagnosis; 0 skips it. Default: ${DEFAULT-VALUE}.")
  int diagnosisBatches;

  @Option(names = "--limit", paramLabel = "N", description = "Use at most N holdout samples.")
  Integer limit;

  @Option(
      names = "--target",
      paramLabel = "PROFILE",
      description =
          "The target profile whose INT8 arithmetic the candidate runs with (see `edgeopt targets`)."
              + " Default: the profile named in the candidate's edgeopt metadata, else onnxruntime-cpu.")
  String target;

  @Option(
      names = "--arithmetic",
      paramLabel = "WHOSE",
      defaultValue = "target",
      description =
          "target: INT8 layers compute what the target computes (emulated with exact kernels when this"
              + " host's differ); host: this host's kernels as they are (the reports then name any mismatch)."
              + " Default: ${DEFAULT-VALUE}.")
  String arithmetic;

  @Override
  public CommonOptions common() {
    return common;
  }

  @Override
  public Integer call() throws EdgeoptException {
    if (engine.equalsIgnoreCase("spark")) {
      return SparkEngine.handOver("validate", sparkArgs(), master);
    }
    if (!engine.equalsIgnoreCase("local")) {
      throw new CommandLine.ParameterException(
          spec.commandLine(), "--engine: expected local or spark, found '" + engine + "'");
    }
    if (!engineOptions.isEmpty() || master != null) {
      throw new CommandLine.ParameterException(
          spec.commandLine(),
          "unknown option(s) "
              + (master != null ? List.of("--master") : engineOptions)
              + ": expected them only with --engine spark");
    }
    ValidationConfig config = config();
    if (report != null) {
      Map<String, Path> in = new java.util.LinkedHashMap<>();
      in.put("--reference", reference);
      in.put("--candidate", candidate);
      in.put("--holdout", holdout);
      OverwriteGuard.refuse(
          in,
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
    PrintWriter out = spec.commandLine().getOut();
    ProgressListener progress =
        common.quiet ? ProgressListener.silent() : ConsoleProgress.forConsole(errStream());
    Stages.Validated validated = Stages.validate(config, progress, report);
    return TextSummary.finish(out, validated.report(), report == null ? null : validated.files());
  }

  /**
   * Returns the command line for the Spark engine: the original arguments, plus the sample model's
   * holdout, preprocessing and class names where they were left out (the Spark jar does not know
   * the samples' descriptors).
   */
  private List<String> sparkArgs() throws EdgeoptException {
    List<String> args =
        new java.util.ArrayList<>(spec.commandLine().getParseResult().originalArgs());
    Optional<SampleModel> sample = SampleDefaults.near(reference);
    if (sample.isPresent()) {
      if (holdout == null) {
        args.add("--holdout");
        args.add(SampleDefaults.holdoutData(sample.get()).toString());
        if (labelColumn == null && sample.get().holdout().labelColumn() != null) {
          args.add("--label-column");
          args.add(sample.get().holdout().labelColumn());
        }
      }
      if (preprocess == null) {
        args.add("--preprocess");
        args.add(sample.get().preprocess());
      }
      if (classes == null && !sample.get().classNames().isEmpty()) {
        args.add("--classes");
        args.add(String.join(",", sample.get().classNames()));
      }
    }
    return args;
  }

  private ValidationConfig config() throws EdgeoptException {
    CommandLine cl = spec.commandLine();
    OptionBounds.threads(cl, threads);
    OptionBounds.batchSize(cl, "--batch-size", batchSize);
    OptionBounds.check(
        cl,
        "--latency-runs",
        latencyRuns,
        0,
        OptionBounds.MAX_RUNS,
        "timed runs at batch 1, 0 to skip timing");
    OptionBounds.check(
        cl, "--warmup-runs", warmupRuns, 0, OptionBounds.MAX_RUNS, "untimed runs before timing");
    OptionBounds.check(
        cl,
        "--diagnosis-batches",
        diagnosisBatches,
        0,
        OptionBounds.MAX_DIAGNOSIS_BATCHES,
        "holdout batches for the per-layer diagnosis, 0 to skip it");
    if (limit != null) {
      OptionBounds.check(cl, "--limit", limit, 1, Integer.MAX_VALUE, "holdout samples to use");
    }
    Path data = holdout;
    String pre = preprocess;
    List<String> names = classes;
    String column = labelColumn;
    Optional<SampleModel> sample = SampleDefaults.near(reference);
    if (data == null) {
      if (sample.isEmpty()) {
        throw new CommandLine.ParameterException(
            spec.commandLine(),
            "--holdout is required: the reference "
                + reference
                + " is not a sample model (no "
                + SampleDefaults.DESCRIPTOR
                + " beside it names it)");
      }
      data = SampleDefaults.holdoutData(sample.get());
      column = column == null ? sample.get().holdout().labelColumn() : column;
    }
    if (sample.isPresent()) {
      pre = pre == null ? sample.get().preprocess() : pre;
      names = names == null ? sample.get().classNames() : names;
    }
    ValidationConfig.Task t;
    try {
      t = ValidationConfig.Task.valueOf(task.strip().toUpperCase(java.util.Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ParameterException(
          spec.commandLine(),
          "--task must be auto, classification or regression, found '" + task + "'");
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
          data,
          pre,
          names,
          column,
          t,
          th,
          batchSize,
          threads,
          latencyRuns,
          warmupRuns,
          diagnosisBatches,
          limit == null ? Integer.MAX_VALUE : limit,
          target,
          arithmetic());
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
    }
  }

  private ValidationConfig.Arithmetic arithmetic() {
    return switch (arithmetic.strip().toLowerCase(java.util.Locale.ROOT)) {
      case "target" -> ValidationConfig.Arithmetic.TARGET;
      case "host" -> ValidationConfig.Arithmetic.HOST;
      default ->
          throw new CommandLine.ParameterException(
              spec.commandLine(),
              "--arithmetic must be target or host, found '" + arithmetic + "'");
    };
  }

  /** Returns the command's error writer as a stream, for the progress bar (which draws ASCII only). */
  private PrintStream errStream() {
    PrintWriter err = spec.commandLine().getErr();
    return new PrintStream(
        new OutputStream() {
          @Override
          public void write(int b) {
            err.write(b & 0xff);
          }

          @Override
          public void flush() {
            err.flush();
          }
        },
        true,
        StandardCharsets.ISO_8859_1);
  }
}
