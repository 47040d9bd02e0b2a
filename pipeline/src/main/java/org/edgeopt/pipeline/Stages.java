package org.edgeopt.pipeline;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.function.Consumer;
import org.edgeopt.calibrate.Calibration;
import org.edgeopt.calibrate.CalibrationConfig;
import org.edgeopt.calibrate.CalibrationProgress;
import org.edgeopt.calibrate.TensorRtCalibrationCache;
import org.edgeopt.core.EdgeoptException;
import org.edgeopt.core.ExitCode;
import org.edgeopt.core.data.Dataset;
import org.edgeopt.core.data.Preprocessing;
import org.edgeopt.core.graph.Graph;
import org.edgeopt.core.io.AtomicFiles;
import org.edgeopt.core.io.Hashes;
import org.edgeopt.core.onnx.OnnxModels;
import org.edgeopt.core.quant.CalibrationTable;
import org.edgeopt.core.targets.CompileRequest;
import org.edgeopt.core.targets.CompileResult;
import org.edgeopt.core.targets.Target;
import org.edgeopt.core.targets.TargetProfile;
import org.edgeopt.core.targets.Targets;
import org.edgeopt.ingest.IngestOptions;
import org.edgeopt.ingest.IngestResult;
import org.edgeopt.ingest.Ingestor;
import org.edgeopt.prune.PruneRequest;
import org.edgeopt.prune.PruneResult;
import org.edgeopt.prune.Pruner;
import org.edgeopt.quantize.ModelQuantizer;
import org.edgeopt.quantize.Precision;
import org.edgeopt.quantize.QuantizeConfig;
import org.edgeopt.validate.ProgressListener;
import org.edgeopt.validate.ReportWriter;
import org.edgeopt.validate.ValidationConfig;
import org.edgeopt.validate.ValidationReport;
import org.edgeopt.validate.Validator;

/**
 * The stage functions both front ends call, {@link Pipeline} and the single-stage commands: each
 * reads its inputs, checks what the stage needs from its options, hashes the inputs for
 * provenance, runs the stage and writes its files, so that no front end has a copy of this glue.
 */
public final class Stages {
  private Stages() {}

  /**
   * Ingests {@code model} and writes {@code DIR/model.onnx} and {@code DIR/model-card.json}.
   *
   * @throws EdgeoptException exit 3 when the model or the reference cannot be used or the folder cannot be written
   */
  public static IngestResult ingest(Path model, IngestOptions options, Path dir)
      throws EdgeoptException {
    IngestResult result = new Ingestor().ingest(model, options);
    try {
      Ingestor.write(result, dir);
    } catch (IOException e) {
      throw new EdgeoptException(
          ExitCode.INVALID_INPUT, dir + ": cannot write the output folder: " + e, e);
    }
    return result;
  }

  /**
   * Prunes {@code model} for {@code request} and writes the pruned model to {@code out} and the
   * report to {@code report}; {@code log} hears progress.
   *
   * @throws EdgeoptException exit 5 when 2:4 is refused for the target, exit 3 for a model, data or
   *     output that cannot be used
   */
  public static PruneResult prune(
      Path model, PruneRequest request, Path out, Path report, Consumer<String> log)
      throws EdgeoptException {
    Graph graph = OnnxModels.read(model);
    PruneResult result = Pruner.prune(graph, request, model.toString(), log);
    try {
      OnnxModels.write(result.graph(), out);
      result.report().write(report);
    } catch (IOException e) {
      throw new EdgeoptException(
          ExitCode.INVALID_INPUT, out + ": cannot write the pruned model: " + e.getMessage(), e);
    }
    return result;
  }

  /**
   * Calibrates {@code model} on {@code data} with {@code config} and writes the table to {@code
   * table} and, when {@code trtCache} is not null, TensorRT's calibration cache beside it: both
   * files appear together or not at all.
   *
   * @throws EdgeoptException exit 3 when the model or data cannot be used or a file cannot be written
   */
  public static CalibrationTable calibrate(
      Path model,
      Path data,
      Preprocessing preprocessing,
      CalibrationConfig config,
      CalibrationProgress progress,
      Path table,
      Path trtCache)
      throws EdgeoptException {
    CalibrationTable result = Calibration.calibrate(model, data, preprocessing, config, progress);
    Map<Path, byte[]> files = new java.util.LinkedHashMap<>();
    files.put(table, result.toJson().getBytes(java.nio.charset.StandardCharsets.UTF_8));
    if (trtCache != null) {
      files.put(
          trtCache,
          TensorRtCalibrationCache.of(result, TensorRtCalibrationCache.DEFAULT_VERSION)
              .format()
              .getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }
    try {
      AtomicFiles.writeAll(files);
    } catch (IOException e) {
      throw new EdgeoptException(
          ExitCode.INVALID_INPUT,
          "cannot write the calibration table "
              + table
              + (trtCache == null ? "" : " and the TensorRT calibration cache " + trtCache)
              + ": "
              + e,
          e);
    }
    return result;
  }

  /** What {@link #validate} produced: the report and the files written (JSON, JUnit, HTML), if any. */
  public record Validated(ValidationReport report, java.util.List<Path> files) {}

  /**
   * Validates the candidate against the reference as {@code config} says and, when {@code
   * reportDir} is not null, writes report.json, junit.xml and report.html into it.
   *
   * @throws EdgeoptException exit 3 for models or data that cannot be used or a folder that
   *     cannot be written (a failed gate is not an exception: see {@link ValidationReport#passed})
   */
  public static Validated validate(
      ValidationConfig config, ProgressListener progress, Path reportDir) throws EdgeoptException {
    ValidationReport report = Validator.validate(config, progress);
    return new Validated(
        report, reportDir == null ? java.util.List.of() : ReportWriter.write(report, reportDir));
  }

  /**
   * Refuses a precision the target profile does not run.
   *
   * @param option how the user gave the precision, for the message ({@code --precision}, {@code precision})
   * @throws EdgeoptException exit 3 naming the profile's precisions
   */
  public static void requirePrecision(TargetProfile profile, String precision, String option)
      throws EdgeoptException {
    if (!profile.supportsPrecision(precision)) {
      throw EdgeoptException.invalid(
          "target '"
              + profile.name()
              + "' runs "
              + String.join(", ", profile.precisions())
              + "; "
              + option
              + " "
              + precision
              + " is not among them");
    }
  }

  /** What {@link #quantize} produced: the quantized model and its report, both written. */
  public record Quantized(ModelQuantizer.Outcome outcome, Path model, Path report) {}

  /**
   * Quantizes {@code model} with {@code config} (built for {@code profile}) and writes the model to
   * {@code out} and its report beside it; the provenance records both inputs' SHA-256.
   *
   * @param calibration the calibration table file (required for INT8, read only then; hashed when given)
   * @param data samples to measure per-layer SQNR on, or null
   * @param precisionOption how the user gave the precision, for the message when the profile does not run it
   * @throws EdgeoptException exit 3 when the profile does not run the precision, an input cannot be
   *     read or the output cannot be written
   */
  public static Quantized quantize(
      TargetProfile profile,
      Path model,
      Path calibration,
      QuantizeConfig config,
      Dataset data,
      Path out,
      String precisionOption)
      throws EdgeoptException {
    requirePrecision(profile, config.precision().id(), precisionOption);
    if (config.precision() == Precision.INT8 && calibration == null) {
      throw new IllegalArgumentException("INT8 quantization needs a calibration table");
    }
    Graph g = OnnxModels.read(model);
    CalibrationTable table =
        config.precision() == Precision.INT8 ? CalibrationTable.read(calibration) : null;
    ModelQuantizer.Provenance provenance =
        new ModelQuantizer.Provenance(
            model.toString(),
            sha256(model),
            calibration == null ? "" : calibration.toString(),
            calibration == null ? null : sha256(calibration));
    ModelQuantizer.Outcome outcome = ModelQuantizer.quantize(g, table, config, data, provenance);
    try {
      return new Quantized(outcome, out, outcome.write(out));
    } catch (IOException e) {
      throw new EdgeoptException(
          ExitCode.INVALID_INPUT, out + ": cannot write the quantized model: " + e.getMessage(), e);
    }
  }

  /** What {@link #compile} produced, and at which precision. */
  public record Compiled(CompileResult result, String precision) {}

  /**
   * Compiles {@code model} for {@code profile} into {@code dir}, at {@code precision} or, when
   * null, at the precision the profile's target picks ({@link Target#defaultPrecision}).
   *
   * @throws EdgeoptException exit 5 when the target cannot take the model, 3 for unusable input
   */
  public static Compiled compile(
      Path model,
      TargetProfile profile,
      Path dir,
      String precision,
      boolean strict,
      Map<String, String> options)
      throws EdgeoptException {
    Target target = Targets.forProfile(profile);
    String p = precision != null ? precision : target.defaultPrecision(profile, isQuantized(model));
    return new Compiled(
        target.compile(new CompileRequest(model, profile, dir, p, strict, options)), p);
  }

  /** Returns whether the model holds QuantizeLinear nodes (a QDQ model). */
  static boolean isQuantized(Path model) throws EdgeoptException {
    return OnnxModels.read(model).nodes().stream()
        .anyMatch(n -> n.opType().equals("QuantizeLinear"));
  }

  private static String sha256(Path file) throws EdgeoptException {
    try {
      return Hashes.sha256(file);
    } catch (IOException e) {
      throw EdgeoptException.invalid(file + ": cannot read: " + e.getMessage(), e);
    }
  }
}
