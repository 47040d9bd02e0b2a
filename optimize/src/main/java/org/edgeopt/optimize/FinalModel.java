package org.edgeopt.optimize;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.edgeopt.core.EdgeoptException;
import org.edgeopt.core.targets.CompileRequest;
import org.edgeopt.core.targets.CompileResult;
import org.edgeopt.core.targets.TargetProfile;
import org.edgeopt.core.targets.Targets;
import org.edgeopt.quantize.ModelQuantizer;
import org.edgeopt.validate.ReportWriter;
import org.edgeopt.validate.ValidationReport;

/**
 * Makes the chosen trial's model again in the output folder (quantization is deterministic),
 * compiles it for the target with the target's own plug-in, and validates the compiled artifact
 * on the holdout, so the bar is checked on what will be deployed and not only on the trial.
 */
final class FinalModel {
  private final OptimizeRequest request;
  private final TargetProfile profile;
  private final Path out;
  private final TrialEvaluator evaluator;
  private final OptimizeListener listener;

  FinalModel(
      OptimizeRequest request,
      TargetProfile profile,
      Path out,
      TrialEvaluator evaluator,
      OptimizeListener listener) {
    this.request = request;
    this.profile = profile;
    this.out = out;
    this.evaluator = evaluator;
    this.listener = listener;
  }

  /**
   * What was made.
   *
   * @param artifacts the quantized model, its report, the calibration table, the compiled
   *     artifacts and the validation reports
   * @param met whether the compiled artifact meets the bar
   * @param summary the re-validation in one line
   */
  record Outcome(List<Path> artifacts, boolean met, String summary) {}

  Outcome make(Trial chosen) throws EdgeoptException {
    TrialConfig c = chosen.config();
    listener.step("make, compile and re-validate #" + chosen.index() + " " + c.label());
    Path quantized = out.resolve("model." + c.precision() + ".onnx");
    List<Path> artifacts = new ArrayList<>();
    Map<String, String> options = new LinkedHashMap<>();
    try {
      ModelQuantizer.Outcome o = evaluator.quantize(c, false);
      artifacts.add(quantized);
      artifacts.add(o.write(quantized));
      if (c.int8()) {
        Path table = out.resolve("calibration.json");
        evaluator.table(c).write(table);
        artifacts.add(table);
        options.put("calibration", table.toString());
      }
    } catch (IOException e) {
      throw EdgeoptException.invalid(out + ": cannot write the chosen model: " + e.getMessage(), e);
    }
    // As the pipeline does: targets that can run their artifact check it on real holdout samples.
    options.put("verify-data", request.holdout().toString());
    options.put("verify-preprocess", request.preprocess());
    options.put(
        "verify-limit",
        String.valueOf(
            request.holdoutSamples() > 0 ? request.holdoutSamples() : Integer.MAX_VALUE));
    CompileResult compiled =
        Targets.forProfile(profile)
            .compile(new CompileRequest(quantized, profile, out, c.precision(), false, options));
    artifacts.addAll(compiled.artifacts());
    Path runnable = runnable(compiled, quantized);
    ValidationReport report =
        evaluator.validate(runnable, evaluator.measuresLatency(), request.bar());
    artifacts.addAll(ReportWriter.write(report, out));
    ValidationReport.Classification cls = report.classification();
    boolean met =
        compiled.compatible()
            && cls != null
            && request.bar().met(cls.top1DropPoints(), cls.agreementPercent());
    String summary =
        cls == null
            ? "not a classifier"
            : String.format(
                Locale.ROOT,
                "%s: top-1 %.2f%% -> %.2f%% (drop %.2f points), agreement %.2f%% on %d samples%s",
                runnable.getFileName(),
                cls.referenceTop1(),
                cls.candidateTop1(),
                cls.top1DropPoints(),
                cls.agreementPercent(),
                cls.samples(),
                compiled.compatible() ? "" : "; NOT fully mapped to " + profile.name());
    listener.step("re-validated " + summary);
    return new Outcome(artifacts, met, summary);
  }

  /** Returns the first runnable compiled artifact (.tflite or .onnx), else the quantized ONNX. */
  private static Path runnable(CompileResult compiled, Path quantized) {
    for (Path p : compiled.artifacts()) {
      String n = p.getFileName().toString();
      if (n.endsWith(".tflite") || n.endsWith(".onnx")) {
        return p;
      }
    }
    return quantized;
  }
}
