package org.edgeopt.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import me.tongfei.progressbar.ProgressBar;
import org.edgeopt.calibrate.CalibrationConfig;
import org.edgeopt.calibrate.CalibrationMethod;
import org.edgeopt.calibrate.CalibrationProgress;
import org.edgeopt.core.EdgeoptException;
import org.edgeopt.core.ExitCode;
import org.edgeopt.core.data.Preprocessing;
import org.edgeopt.core.io.OverwriteGuard;
import org.edgeopt.core.quant.CalibrationTable;
import org.edgeopt.core.quant.TensorRange;
import org.edgeopt.core.targets.TargetProfile;
import org.edgeopt.core.targets.TargetProfiles;
import org.edgeopt.pipeline.Stages;
import org.edgeopt.validate.ConsoleProgress;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code edgeopt calibrate}: runs a model over field data and writes the range of every
 * activation to {@code calibration.json}, optionally also as a TensorRT calibration cache.
 */
@Command(
    name = "calibrate",
    mixinStandardHelpOptions = true,
    description =
        "Run MODEL in ONNX Runtime over field data, collect the statistics of every activation in one streaming"
            + " pass, and write the range each should be quantized to (calibration.json).",
    footerHeading = "%nExamples:%n",
    footer = {
      "  edgeopt calibrate mnist.onnx --data mnist-t10k/ --samples 1000",
      "  edgeopt calibrate fashion.onnx --data calibration/ \\",
      "      --preprocess scale=1/255,mean=0.2860,std=0.3530 --method entropy",
      "  edgeopt calibrate squeezenet.onnx --data photos/ \\",
      "      --preprocess resize=256,crop=224,channels=bgr,mean=104:117:123 \\",
      "      --target tensorrt-ampere --trt-cache calibration.cache"
    })
public final class CalibrateCommand implements Callable<Integer>, CommonOptions.VerbosityAware {
  @CommandLine.Mixin CommonOptions common;
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Parameters(index = "0", paramLabel = "MODEL", description = "The FP32 ONNX model.")
  Path model;

  @Option(
      names = "--data",
      required = true,
      paramLabel = "PATH",
      description =
          "Field data: a folder with one image subfolder per class, IDX files, a .npy file (labels.npy beside it) or a CSV file.")
  Path data;

  @Option(
      names = "--method",
      paramLabel = "METHOD",
      description = "minmax, percentile, entropy or mse (default: the target profile's).")
  String method;

  @Option(
      names = "--percentile",
      paramLabel = "P",
      description =
          "Percent of the values the percentile method keeps (default: "
              + CalibrationConfig.DEFAULT_PERCENTILE
              + ").")
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
      description =
          "Samples per inference (default: ${DEFAULT-VALUE}; a model with a fixed batch dimension uses its own).")
  int batchSize;

  @Option(
      names = "--preprocess",
      paramLabel = "SPEC",
      description =
          "How raw samples become model input, e.g. resize=256,crop=224,channels=bgr,mean=104:117:123 (default: raw values, NCHW).")
  String preprocess;

  @Option(
      names = {"-t", "--target"},
      paramLabel = "PROFILE",
      defaultValue = "onnxruntime-cpu",
      description =
          "Target profile: its default method and activation symmetry apply (default: ${DEFAULT-VALUE}).")
  String target;

  @Option(
      names = "--threads",
      paramLabel = "N",
      defaultValue = "0",
      description =
          "ONNX Runtime intra-op threads (default: all cores but one, which folds the statistics).")
  int threads;

  @Option(
      names = "--trt-cache",
      paramLabel = "FILE",
      description =
          "Also write the ranges as a TensorRT calibration cache (TRT-"
              + "<version>-EntropyCalibration2).")
  Path trtCache;

  @Option(
      names = {"-o", "--output"},
      paramLabel = "FILE",
      defaultValue = "calibration.json",
      description = "Where to write the table (default: ${DEFAULT-VALUE}).")
  Path output;

  @Option(
      names = "--engine",
      paramLabel = "ENGINE",
      defaultValue = "local",
      description =
          "local (this JVM, the default) or spark: hand over to edgeopt-spark.jar (spark-submit, or Spark's jars"
              + " beside it), which also takes --partitions, --format, --data-column, --label-column and --raw-floats.")
  String engine;

  @Option(
      names = "--master",
      paramLabel = "URL",
      description =
          "With --engine spark: local[*], spark://host:7077, yarn, k8s://... (default: local[*]).")
  String master;

  /** Options only the Spark engine knows, passed through to it unread. */
  @CommandLine.Unmatched java.util.List<String> engineOptions = new java.util.ArrayList<>();

  @Override
  public CommonOptions common() {
    return common;
  }

  @Override
  public Integer call() throws EdgeoptException {
    if (engine.equalsIgnoreCase("spark")) {
      return SparkEngine.handOver(
          "calibrate", spec.commandLine().getParseResult().originalArgs(), master);
    }
    if (!engine.equalsIgnoreCase("local")) {
      throw new CommandLine.ParameterException(
          spec.commandLine(), "--engine: expected local or spark, found '" + engine + "'");
    }
    if (!engineOptions.isEmpty() || master != null) {
      throw new CommandLine.ParameterException(
          spec.commandLine(),
          "unknown option(s) "
              + (master != null ? java.util.List.of("--master") : engineOptions)
              + ": expected them only with --engine spark");
    }
    CalibrationConfig cfg = config();
    Map<String, Path> in = new java.util.LinkedHashMap<>();
    in.put("the input model", model);
    in.put("--data", data);
    Map<String, Path> outs = new java.util.LinkedHashMap<>();
    outs.put("-o", output);
    outs.put("--trt-cache", trtCache);
    OverwriteGuard.refuse(in, outs);
    Preprocessing pre = Preprocessing.parse(preprocess);
    long start = System.nanoTime();
    CalibrationTable table;
    try (Bar bar = Bar.open(common.quiet, "calibrate")) {
      table = Stages.calibrate(model, data, pre, cfg, bar, output, trtCache);
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    PrintWriter out = spec.commandLine().getOut();
    if (common.verbose) {
      printRanges(out, table);
    }
    out.printf(
        Locale.ROOT,
        "calibrated %d tensors on %d samples with %s (target %s) in %.1f s -> %s%n",
        table.tensors().size(),
        table.samples(),
        table.method(),
        target,
        seconds,
        output);
    if (trtCache != null) {
      out.println("TensorRT calibration cache -> " + trtCache);
    }
    out.flush();
    return ExitCode.OK.code();
  }

  /** Returns the run's settings: the target's defaults, then what the command line says. */
  private CalibrationConfig config() throws EdgeoptException {
    if (samples != null && samples < 1) {
      throw new CommandLine.ParameterException(
          spec.commandLine(), "--samples must be at least 1, found " + samples);
    }
    OptionBounds.batchSize(spec.commandLine(), "--batch-size", batchSize);
    if (percentile != null && !(percentile > 0 && percentile <= 100)) {
      throw new CommandLine.ParameterException(
          spec.commandLine(), "--percentile must be in (0, 100], found " + percentile);
    }
    OptionBounds.threads(spec.commandLine(), threads);
    TargetProfile profile = TargetProfiles.get(target);
    CalibrationConfig cfg =
        CalibrationConfig.forTarget(profile).withBatchSize(batchSize).withThreads(threads);
    if (method != null) {
      CalibrationMethod m =
          Arrays.stream(CalibrationMethod.values())
              .filter(x -> x.id().equalsIgnoreCase(method.strip()))
              .findFirst()
              .orElseThrow(
                  () ->
                      new CommandLine.ParameterException(
                          spec.commandLine(),
                          "--method: expected minmax, percentile, entropy or mse, found '"
                              + method
                              + "'"));
      cfg = cfg.withMethod(m);
    }
    if (percentile != null) {
      cfg = cfg.withPercentile(percentile);
    }
    if (samples != null) {
      cfg = cfg.withSamples(samples);
    }
    return cfg;
  }

  private static void printRanges(PrintWriter out, CalibrationTable table) {
    out.printf("%-40s %12s %12s %12s %12s%n", "TENSOR", "MIN", "MAX", "SEEN MIN", "SEEN MAX");
    for (Map.Entry<String, TensorRange> e : table.tensors().entrySet()) {
      TensorRange r = e.getValue();
      out.printf(
          Locale.ROOT,
          "%-40s %12.6g %12.6g %12.6g %12.6g%n",
          e.getKey(),
          r.min(),
          r.max(),
          r.observedMin(),
          r.observedMax());
    }
  }

  /** A progress bar on standard error, drawn only for a terminal and without {@code -q}. */
  private static final class Bar implements CalibrationProgress, AutoCloseable {
    private final String task;
    private ProgressBar bar;

    private Bar(String task) {
      this.task = task;
    }

    static Bar open(boolean quiet, String task) {
      // No terminal (a pipe, CI, a test): a bar would only litter the log.
      return new Bar(quiet || System.console() == null ? null : task);
    }

    @Override
    public void advance(long done, long total) {
      if (task == null) {
        return;
      }
      if (bar == null) {
        bar = ConsoleProgress.bar(task, total, System.err);
      }
      bar.stepTo(done);
    }

    @Override
    public void close() {
      if (bar != null) {
        bar.close();
      }
    }
  }
}
