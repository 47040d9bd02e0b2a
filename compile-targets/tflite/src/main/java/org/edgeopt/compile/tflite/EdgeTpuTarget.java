package org.edgeopt.compile.tflite;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.edgeopt.core.EdgeoptException;
import org.edgeopt.core.data.DataException;
import org.edgeopt.core.data.Dataset;
import org.edgeopt.core.data.Datasets;
import org.edgeopt.core.data.Preprocessing;
import org.edgeopt.core.graph.Graph;
import org.edgeopt.core.io.AtomicFiles;
import org.edgeopt.core.io.Hashes;
import org.edgeopt.core.onnx.OnnxModels;
import org.edgeopt.core.quant.CalibrationTable;
import org.edgeopt.core.targets.CompileRequest;
import org.edgeopt.core.targets.CompileResult;
import org.edgeopt.core.targets.Target;

/**
 * The {@code edgetpu} compile target: lowers a QDQ ONNX model to an int8 {@code .tflite}, checks
 * it against the profile, runs {@code edgetpu_compiler} when installed, and verifies the result
 * in the TFLite interpreter against the QDQ model in ONNX Runtime.
 *
 * <p>Writes {@value #MODEL_FILE}, {@value #REPORT_FILE} and {@value #VERIFICATION_FILE}. Options:
 * {@code io-type} ({@code int8}, default, or {@code uint8}); {@code calibration} (the calibration
 * table, for activations the QDQ model leaves float, such as ONNX Runtime-style float logits);
 * {@code verify-data} (a holdout data
 * set; without it the check uses {@code verify-samples} random int8 inputs, default 16) with
 * {@code verify-preprocess} (a preprocessing spec) and {@code verify-limit} (default 1000 samples).
 */
public final class EdgeTpuTarget implements Target {
  /** The lowered model, ready for {@code edgetpu_compiler}. */
  public static final String MODEL_FILE = "model.edgetpu.tflite";

  /** The compatibility report. */
  public static final String REPORT_FILE = "edgetpu-compatibility.json";

  /** The verification figures. */
  public static final String VERIFICATION_FILE = "tflite-verification.json";

  private static final Set<String> OPTIONS =
      Set.of(
          "io-type",
          "calibration",
          "verify-data",
          "verify-preprocess",
          "verify-limit",
          "verify-samples");
  private static final ObjectMapper JSON =
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  @Override
  public String id() {
    return "edgetpu";
  }

  @Override
  public CompileResult compile(CompileRequest request) throws EdgeoptException {
    Map<String, String> opts = request.options();
    for (String k : opts.keySet()) {
      if (!OPTIONS.contains(k)) {
        throw EdgeoptException.invalid(
            "unknown option '"
                + k
                + "' for target "
                + id()
                + ": expected one of "
                + String.join(", ", OPTIONS.stream().sorted().toList()));
      }
    }
    if (request.precision() != null && !request.precision().equalsIgnoreCase("int8")) {
      throw EdgeoptException.invalid(
          "precision "
              + request.precision()
              + ": the Edge TPU runs int8 only (profile "
              + request.profile().name()
              + ")");
    }
    if (request.outputDir() == null) {
      throw EdgeoptException.invalid(
          "no output folder given for target " + id() + " (expected -o DIR)");
    }
    IoType io = IoType.parse(opts.get("io-type"));
    positive(opts, "verify-limit", 1000);
    positive(opts, "verify-samples", 16);
    Path model = request.model();
    Graph g = OnnxModels.read(model);
    if (g.nodes().stream().noneMatch(QdqView::isQdq)) {
      throw EdgeoptException.invalid(
          model
              + ": expected a quantized QDQ model (QuantizeLinear/DequantizeLinear"
              + " pairs), found an FP32 graph; run edgeopt quantize for the edgetpu target first");
    }
    Map<String, String> provenance = new LinkedHashMap<>();
    provenance.put("target", id());
    provenance.put("profile", request.profile().name());
    provenance.put("sourceModel", model.getFileName().toString());
    provenance.put("sourceSha256", sha256(model));
    CalibrationTable table = null;
    if (opts.get("calibration") != null) {
      Path tablePath = Path.of(opts.get("calibration"));
      table = CalibrationTable.read(tablePath);
      provenance.put("calibration", tablePath.getFileName().toString());
      provenance.put("calibrationSha256", sha256(tablePath));
    }
    OnnxToTflite.Result lowering = OnnxToTflite.lower(g, table, io, provenance, model.toString());
    EdgeTpuCompatibilityReport report =
        EdgeTpuCompatibilityChecker.check(lowering, request.profile());

    Path out = request.outputDir();
    Path reportFile = out.resolve(REPORT_FILE);
    List<Path> artifacts = new ArrayList<>();
    List<String> messages = new ArrayList<>(lowering.notes());
    messages.add(report.summary());
    try {
      Files.createDirectories(out);
      if (!lowering.complete()) {
        report.write(reportFile);
        String msg = model + ": " + lowering.unmapped().message() + " (report: " + reportFile + ")";
        throw request.strict() ? EdgeoptException.incompatible(msg) : EdgeoptException.invalid(msg);
      }
      // The model, the compiler's outputs, the verification and the compatibility report are
      // written into a staging folder and appear together: a failure or a signal halfway leaves
      // none of them (a .tflite without its compatibility report was possible before).
      try (AtomicFiles.Staging staging = AtomicFiles.stage(out)) {
        Path tflite = staging.file(MODEL_FILE);
        Path stagedReport = staging.file(REPORT_FILE);
        Path vFile = staging.file(VERIFICATION_FILE);
        Files.write(tflite, TfliteFlatbuffers.write(lowering.model()));
        Map<String, Object> files = new LinkedHashMap<>(provenance);
        files.put("tflite", tflite.getFileName().toString());
        files.put("tfliteSha256", sha256(tflite));
        files.put("ioType", io.id());
        report = report.with("model", files);

        EdgeTpuCompilerRun compiler = EdgeTpuCompilerRun.run(tflite, staging.folder());
        report = report.with("edgetpuCompiler", compiler.toMap());
        messages.add(
            compiler.found()
                ? EdgeTpuCompilerRun.EXECUTABLE + " exited with " + compiler.exitCode()
                : compiler.log());

        VerificationReport v = verify(model, tflite, opts);
        Files.writeString(vFile, JSON.writeValueAsString(v.toMap()) + "\n");
        report = report.with("verification", v.toMap());
        messages.add(v.summary());
        Files.writeString(stagedReport, report.toJson());
        artifacts.addAll(staging.commit());
      }
    } catch (IOException e) {
      throw EdgeoptException.invalid(
          out + ": cannot write the compile outputs: " + e.getMessage(), e);
    }
    if (request.strict() && !report.compatible()) {
      throw EdgeoptException.incompatible(
          model
              + ": not fully Edge TPU compatible: "
              + report.summary()
              + " (report: "
              + reportFile
              + ")");
    }
    return new CompileResult(artifacts, report.compatible(), messages);
  }

  private static VerificationReport verify(Path model, Path tflite, Map<String, String> opts)
      throws EdgeoptException {
    String data = opts.get("verify-data");
    if (data == null) {
      return TfliteVerifier.verifyRandom(model, tflite, positive(opts, "verify-samples", 16), 0);
    }
    Dataset ds =
        Datasets.open(
            Path.of(data), Preprocessing.parse(opts.get("verify-preprocess")), null, null);
    try {
      return TfliteVerifier.verify(model, tflite, ds, positive(opts, "verify-limit", 1000));
    } catch (DataException e) {
      throw EdgeoptException.invalid("verify-data " + data + ": " + e.getMessage(), e);
    }
  }

  private static int positive(Map<String, String> opts, String key, int fallback)
      throws EdgeoptException {
    String v = opts.get(key);
    if (v == null) {
      return fallback;
    }
    try {
      int n = Integer.parseInt(v.strip());
      if (n > 0) {
        return n;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw EdgeoptException.invalid(
        "option " + key + ": expected a positive integer, found '" + v + "'");
  }

  private static String sha256(Path file) throws EdgeoptException {
    try {
      return Hashes.sha256(file);
    } catch (IOException e) {
      throw EdgeoptException.invalid(file + ": cannot read: " + e.getMessage(), e);
    }
  }
}
