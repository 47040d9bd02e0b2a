package org.edgeopt.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.edgeopt.core.EdgeoptException;
import org.edgeopt.core.ExitCode;
import org.edgeopt.core.data.Dataset;
import org.edgeopt.core.data.Datasets;
import org.edgeopt.core.data.Preprocessing;
import org.edgeopt.core.io.OverwriteGuard;
import org.edgeopt.core.quant.CalibrationTable;
import org.edgeopt.core.targets.TargetProfile;
import org.edgeopt.core.targets.TargetProfiles;
import org.edgeopt.pipeline.Stages;
import org.edgeopt.quantize.Precision;
import org.edgeopt.quantize.QdqPlacement;
import org.edgeopt.quantize.QuantizationReport;
import org.edgeopt.quantize.QuantizeConfig;
import org.edgeopt.quantize.SmoothQuant;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code edgeopt quantize}: INT8 (QDQ) or FP16 quantization of a model, with per-layer SQNR
 * against FP32 and automatic fallback of the worst layers to float.
 *
 * <p>Everything is read and checked before anything is written; the model and its report
 * ({@code OUT.quantization.json}) are written atomically.
 */
@Command(
    name = "quantize",
    mixinStandardHelpOptions = true,
    description = {
      "Quantize a model to INT8 (QuantizeLinear/DequantizeLinear, per-channel int8 weights, int32 biases) with the",
      "ranges of a calibration table, or to FP16; print each layer's SQNR against FP32, its scale and whether it",
      "stayed in float, and write OUT with OUT.quantization.json beside it."
    })
public final class QuantizeCommand implements Callable<Integer>, CommonOptions.VerbosityAware {
  @CommandLine.Mixin CommonOptions common;
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Parameters(index = "0", paramLabel = "MODEL", description = "The FP32 ONNX model.")
  Path model;

  @Option(
      names = {"-c", "--calibration"},
      paramLabel = "FILE",
      description = "calibration.json from 'edgeopt calibrate' (required for int8).")
  Path calibration;

  @Option(
      names = {"-p", "--precision"},
      paramLabel = "int8|fp16",
      defaultValue = "int8",
      description = "Target precision (default: ${DEFAULT-VALUE}).")
  String precision;

  @Option(
      names = {"-t", "--target"},
      paramLabel = "PROFILE",
      defaultValue = "onnxruntime-cpu",
      description =
          "Target profile: decides the activation type (uint8 or int8) and symmetry"
              + " (default: ${DEFAULT-VALUE}).")
  String target;

  @Option(
      names = "--exclude",
      paramLabel = "NODE",
      arity = "1..*",
      description = "Keep these nodes in float (repeatable, or several after one --exclude).")
  List<String> exclude = new ArrayList<>();

  @Option(
      names = "--fallback-sqnr",
      paramLabel = "DB",
      description =
          "Return the worst layers to float, one at a time, until the output SQNR reaches DB (needs --data).")
  Double fallbackSqnr;

  @Option(
      names = "--fallback-top1",
      paramLabel = "PERCENT",
      description =
          "Also require this top-1 agreement with FP32, in percent, on the measured samples (needs --data).")
  Double fallbackTop1;

  @Option(
      names = "--cle",
      description =
          "Cross-layer equalization before quantizing: balance the weight ranges of Conv -> ReLU -> Conv"
              + " pairs per channel without changing the FP32 function (needs --data).")
  boolean crossLayerEqualization;

  @Option(
      names = "--bias-correction",
      description =
          "Subtract from each quantized Conv/Gemm bias the mean output shift its weight rounding adds,"
              + " measured on --data.")
  boolean biasCorrection;

  @Option(
      names = "--adaround",
      description =
          "Learned rounding: round each Conv weight up or down so that the layer's output on --data"
              + " stays closest to FP32, instead of to the nearest integer.")
  boolean adaRound;

  @Option(
      names = "--smooth",
      paramLabel = "ALPHA",
      arity = "0..1",
      fallbackValue = "" + SmoothQuant.DEFAULT_ALPHA,
      description =
          "SmoothQuant-style smoothing: move activation outliers of each MatMul/Gemm input channel into"
              + " its weights, s = max|X|^ALPHA / max|W|^(1-ALPHA), measured on --data (ALPHA within (0, 1),"
              + " default ${FALLBACK-VALUE}).")
  Double smoothAlpha;

  @Option(
      names = "--placement",
      paramLabel = "WHERE",
      description =
          "Where INT8 puts QuantizeLinear/DequantizeLinear pairs: runtime-patterns (around what ONNX"
              + " Runtime fuses) or fully-int8 (every activation tensor, graph inputs included, as a device"
              + " with no float kernels needs). Default: the target profile's qdqPlacement.")
  String placement;

  @Option(
      names = {"-d", "--data"},
      paramLabel = "PATH",
      description =
          "Calibration data to measure per-layer SQNR on (IDX, CSV, .npy or an image folder).")
  Path data;

  @Option(
      names = "--preprocess",
      paramLabel = "SPEC",
      description =
          "Preprocessing of --data (default: the one recorded in the calibration table, else none).")
  String preprocess;

  @Option(
      names = "--samples",
      paramLabel = "N",
      defaultValue = "" + QuantizeConfig.DEFAULT_SENSITIVITY_SAMPLES,
      description = "Samples of --data to measure SQNR on (default: ${DEFAULT-VALUE}).")
  int samples;

  @Option(
      names = "--fp16-io",
      description = "FP16: make the model's inputs and outputs float16 too (default: float32).")
  boolean fp16Io;

  @Option(
      names = {"-o", "--output"},
      paramLabel = "OUT.onnx",
      description = "The quantized model (default: MODEL with .int8.onnx or .fp16.onnx).")
  Path output;

  @Option(
      names = "--json",
      description = "Print the quantization report as JSON instead of the layer table.")
  boolean json;

  @Override
  public CommonOptions common() {
    return common;
  }

  @Override
  public Integer call() throws EdgeoptException {
    Precision p = Precision.parse(precision);
    if (p == Precision.INT8 && calibration == null) {
      throw new CommandLine.ParameterException(
          spec.commandLine(), "--calibration is required for --precision int8");
    }
    OptionBounds.check(
        spec.commandLine(),
        "--samples",
        samples,
        1,
        OptionBounds.MAX_SENSITIVITY_SAMPLES,
        "samples of --data to measure per-layer SQNR on");
    if (fallbackTop1 != null && (fallbackTop1 < 0 || fallbackTop1 > 100)) {
      throw new CommandLine.ParameterException(
          spec.commandLine(),
          "--fallback-top1 must be a percentage from 0 to 100," + " found " + fallbackTop1);
    }
    TargetProfile profile = TargetProfiles.get(target);
    // Checked before anything is read, as the other option checks are.
    Stages.requirePrecision(profile, p.id(), "--precision");
    Path out = output != null ? output : defaultOutput(model, p);
    OverwriteGuard.refuse(
        inputs(), Map.of("-o", out, "the quantization report", QuantizationReport.pathFor(out)));
    CalibrationTable table = p == Precision.INT8 ? CalibrationTable.read(calibration) : null;
    Dataset dataset = null;
    if (data != null) {
      String spec =
          preprocess != null
              ? preprocess
              : table != null ? table.provenance().getOrDefault("preprocess", "") : "";
      dataset = Datasets.open(data, Preprocessing.parse(spec), null, null);
    }
    QuantizeConfig config =
        QuantizeConfig.forTarget(profile)
            .withPrecision(p)
            .withExclude(new LinkedHashSet<>(exclude))
            .withFallbackSqnr(fallbackSqnr == null ? Double.NaN : fallbackSqnr)
            .withFallbackTop1Agreement(fallbackTop1 == null ? Double.NaN : fallbackTop1 / 100)
            .withSensitivitySamples(samples)
            .withKeepIoFloat32(!fp16Io);
    if (dataset == null) {
      // The profile's default passes measure on data; without --data they do not run (asked for,
      // they are an error).
      config = config.withoutPasses();
    }
    if (placement != null) {
      config = config.withPlacement(QdqPlacement.parse(placement.strip(), "--placement"));
    }
    if (crossLayerEqualization) {
      config = config.withCrossLayerEqualization(true);
    }
    if (biasCorrection) {
      config = config.withBiasCorrection(true);
    }
    if (adaRound) {
      config = config.withAdaRound(true);
    }
    if (smoothAlpha != null) {
      if (!(smoothAlpha > 0 && smoothAlpha < 1)) {
        throw EdgeoptException.invalid(
            "--smooth: expected ALPHA within (0, 1), found " + smoothAlpha);
      }
      config = config.withSmoothing(smoothAlpha);
    }
    Stages.Quantized quantized =
        Stages.quantize(profile, model, calibration, config, dataset, out, "--precision");
    Path reportFile = quantized.report();
    PrintWriter w = spec.commandLine().getOut();
    QuantizationReport r = quantized.outcome().report();
    if (json) {
      w.print(r.toJson());
    } else {
      w.print(render(r));
      if (!common.quiet) {
        w.println("wrote " + out + " and " + reportFile);
      }
    }
    w.flush();
    return ExitCode.OK.code();
  }

  private Map<String, Path> inputs() {
    Map<String, Path> in = new java.util.LinkedHashMap<>();
    in.put("the input model", model);
    in.put("--calibration", calibration);
    in.put("--data", data);
    return in;
  }

  static Path defaultOutput(Path model, Precision p) {
    String n = model.getFileName().toString();
    String base = n.endsWith(".onnx") ? n.substring(0, n.length() - 5) : n;
    return model.resolveSibling(base + "." + p.id() + ".onnx");
  }

  /** Returns the per-layer table and the summary lines. */
  static String render(QuantizationReport r) {
    StringBuilder sb = new StringBuilder();
    int width = Math.max(4, r.layers().stream().mapToInt(l -> l.node().length()).max().orElse(4));
    String row = "%-" + width + "s  %-18s  %8s  %12s  %4s  %-6s  %s%n";
    sb.append(
        String.format(Locale.ROOT, row, "NODE", "OP", "SQNR dB", "SCALE", "ZP", "FLOAT?", "NOTE"));
    for (QuantizationReport.LayerReport l : r.layers()) {
      String op = l.foldedActivationOp() == null ? l.op() : l.op() + "+" + l.foldedActivationOp();
      String note = l.isFloat() ? l.reason() : "";
      sb.append(
          String.format(
              Locale.ROOT,
              row,
              l.node(),
              op,
              db(l.sqnrDb()),
              l.scale() == null ? "-" : String.format(Locale.ROOT, "%.6g", l.scale()),
              l.zeroPoint() == null ? "-" : l.zeroPoint().toString(),
              l.isFloat() ? "yes" : "no",
              note));
    }
    long floats = r.floatLayers().size();
    sb.append(
        String.format(
            Locale.ROOT,
            "%d of %d layers quantized, %d kept in float",
            r.layers().size() - floats,
            r.layers().size(),
            floats));
    if (r.outputSqnrDb() != null) {
      String sqnr = db(r.outputSqnrDb());
      sb.append("; output SQNR ").append(sqnr.equals("exact") ? sqnr : sqnr + " dB");
      if (r.top1Agreement() != null) {
        sb.append(String.format(Locale.ROOT, ", top-1 agreement %.2f%%", 100 * r.top1Agreement()));
      }
      sb.append(" on ").append(r.measuredSamples()).append(" samples");
    } else {
      sb.append(" (SQNR not measured: give --data)");
    }
    sb.append(System.lineSeparator());
    if (!r.fallback().isEmpty()) {
      sb.append("fallback to float: ");
      sb.append(
          String.join(
              ", ", r.fallback().stream().map(QuantizationReport.FallbackStep::node).toList()));
      sb.append(r.budgetMet() ? " (budget met)" : " (budget NOT met)")
          .append(System.lineSeparator());
    }
    for (QuantizationReport.PassReport pass : r.passes()) {
      sb.append(pass.name())
          .append(": ")
          .append(pass.changes().size())
          .append(" changes on ")
          .append(pass.samples())
          .append(" samples (see the report)")
          .append(System.lineSeparator());
    }
    for (String warning : r.warnings()) {
      sb.append("warning: ").append(warning).append(System.lineSeparator());
    }
    return sb.toString();
  }

  private static String db(Double v) {
    if (v == null || v.isNaN()) {
      return "-";
    }
    return v.isInfinite() ? "exact" : String.format(Locale.ROOT, "%.1f", v);
  }
}
