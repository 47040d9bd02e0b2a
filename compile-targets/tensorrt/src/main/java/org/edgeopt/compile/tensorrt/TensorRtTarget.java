package org.edgeopt.compile.tensorrt;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.edgeopt.core.EdgeoptException;
import org.edgeopt.core.ExitCode;
import org.edgeopt.core.graph.Graph;
import org.edgeopt.core.graph.Node;
import org.edgeopt.core.io.AtomicFiles;
import org.edgeopt.core.onnx.OnnxModels;
import org.edgeopt.core.quant.CalibrationTable;
import org.edgeopt.core.targets.CompileRequest;
import org.edgeopt.core.targets.CompileResult;
import org.edgeopt.core.targets.Target;
import org.edgeopt.core.targets.TargetProfile;

/**
 * The TensorRT compile target ({@code tensorrt}): writes the explicit-quantization ONNX,
 * the {@code trtexec.sh} recipe and the calibration cache, and builds the engine in-process
 * when asked and when this machine can.
 *
 * <p>Options of a {@link CompileRequest}: {@code calibration=<calibration.json>} (ranges for an
 * FP32 model, and the calibration cache); {@code build-engine=true}; {@code max-batch=<n>} (the
 * largest batch of a dynamic batch dimension when the profile sets none, default 16);
 * {@code tensorrt-version=<x.y.z>} (the version in the calibration cache header, default 10.6.0).
 *
 * <p>Outputs in the output folder: {@code model.trt-qdq.onnx} (int8) or {@code model.trt.onnx}
 * (fp16, fp32), {@code trtexec.sh}, {@code calibration.cache} when a table is given, and
 * {@code model.engine} with {@code timing.cache} only when an engine was built. Without a usable
 * TensorRT, {@code build-engine=true} still writes the others, then fails with exit code 5
 * ({@link ExitCode#INCOMPATIBLE}) naming the missing libraries.
 */
public final class TensorRtTarget implements Target {
  /** The file name of the int8 explicit-quantization model. */
  public static final String QDQ_MODEL = "model.trt-qdq.onnx";

  /** The file name of the float (fp16/fp32) model. */
  public static final String FLOAT_MODEL = "model.trt.onnx";

  /** The file name of the build recipe. */
  public static final String RECIPE = "trtexec.sh";

  /** The file name of the implicit-quantization calibration cache. */
  public static final String CALIBRATION_CACHE = "calibration.cache";

  private static final int DEFAULT_MAX_BATCH = 16;

  @Override
  public String id() {
    return "tensorrt";
  }

  @Override
  public CompileResult compile(CompileRequest request) throws EdgeoptException {
    TargetProfile profile = request.profile();
    String where = request.model().toString();
    Graph model = OnnxModels.read(request.model());
    Map<String, String> options = request.options();
    CalibrationTable table =
        options.containsKey("calibration")
            ? CalibrationTable.read(Path.of(options.get("calibration")))
            : null;
    QdqModel parts = QdqStripper.strip(model, where);
    String precision = precision(request, parts, table);
    List<String> messages = new ArrayList<>();
    boolean compatible = unsupportedOps(model, profile, messages);
    if (!compatible && request.strict()) {
      throw EdgeoptException.incompatible(
          where
              + ": not every operator runs on "
              + profile.name()
              + ": "
              + String.join("; ", messages));
    }
    Export export = export(precision, parts, table, where, messages);
    int sparseLayers = sparseLayers(export.graph(), profile, messages);
    int maxBatch =
        profile.maxBatch() > 0
            ? profile.maxBatch()
            : intOption(options, "max-batch", DEFAULT_MAX_BATCH);
    List<InputShape> shapes = InputShape.of(export.graph(), maxBatch, where);
    boolean fp16Fallback = precision.equals("int8") && profile.supportsPrecision("fp16");
    TrtexecRecipe recipe =
        new TrtexecRecipe(
            profile.name(),
            export.fileName(),
            precision,
            fp16Fallback,
            sparseLayers,
            shapes,
            table == null ? null : CALIBRATION_CACHE);
    Path out = request.outputDir();
    List<Path> artifacts = new ArrayList<>(write(out, export, recipe, table, options));
    if (Boolean.parseBoolean(options.getOrDefault("build-engine", "false"))) {
      artifacts.addAll(buildEngine(out, export.fileName(), recipe, messages));
    }
    return new CompileResult(artifacts, compatible, messages);
  }

  /** The ONNX model handed to TensorRT and the name it is written under. */
  private record Export(Graph graph, String fileName) {}

  /** Returns the precision asked for, else int8 for a QDQ model or one with a table, else fp16; checked against the profile. */
  private static String precision(CompileRequest request, QdqModel parts, CalibrationTable table)
      throws EdgeoptException {
    String precision =
        request.precision() != null
            ? request.precision()
            : parts.hadQdq() || table != null ? "int8" : "fp16";
    TargetProfile profile = request.profile();
    if (!List.of("int8", "fp16", "fp32").contains(precision)
        || !profile.supportsPrecision(precision)) {
      throw EdgeoptException.invalid(
          "precision '"
              + precision
              + "': expected one of "
              + profile.precisions()
              + " for target profile "
              + profile.name());
    }
    return precision;
  }

  /**
   * Returns the model TensorRT builds: for int8 the QDQ placement TensorRT fuses (from the QDQ
   * model or from the float model and the table), checked against its own rules; else the float graph.
   */
  private static Export export(
      String precision, QdqModel parts, CalibrationTable table, String where, List<String> messages)
      throws EdgeoptException {
    if (!precision.equals("int8")) {
      if (parts.hadQdq()) {
        messages.add("Q/DQ nodes removed: a " + precision + " build runs the float graph");
      }
      return new Export(parts.floatGraph(), FLOAT_MODEL);
    }
    if (!parts.hadQdq() && table == null) {
      throw EdgeoptException.invalid(
          where
              + ": int8 for TensorRT needs a QDQ model or a calibration table"
              + " (option calibration=<calibration.json>), found an FP32 model without either");
    }
    TensorRtQdqExport export =
        parts.hadQdq()
            ? TensorRtQdqExporter.fromQdq(parts, table, where)
            : TensorRtQdqExporter.fromCalibration(parts.floatGraph(), table, where);
    QdqPlacementReport check = TensorRtQdqChecker.check(export.graph());
    if (!check.ok()) {
      throw new EdgeoptException(
          ExitCode.INTERNAL,
          where
              + ": the TensorRT QDQ export breaks its own placement rules: "
              + check.violations().get(0));
    }
    messages.add(
        export.int8Layers().size()
            + " weighted layers in int8, "
            + export.floatLayers().size()
            + " in float, "
            + export.residualAdds().size()
            + " residual adds set up to fuse");
    messages.addAll(export.messages());
    return new Export(export.graph(), QDQ_MODEL);
  }

  /** Returns how many layers the recipe enables sparse kernels for: the 2:4-sparse ones, where the profile exploits them. */
  private static int sparseLayers(Graph written, TargetProfile profile, List<String> messages) {
    List<String> sparse = TwoFourSparsity.sparseLayers(written);
    if (sparse.isEmpty()) {
      return 0;
    }
    if (!profile.exploits24Sparsity()) {
      messages.add(
          sparse.size()
              + " layers have 2:4-sparse weights, but "
              + profile.name()
              + " does not exploit them: "
              + profile.sparsityReason());
      return 0;
    }
    messages.add(
        sparse.size() + " layers have 2:4-sparse weights: the recipe enables sparse kernels");
    return sparse.size();
  }

  /** Writes the model, the recipe and the calibration cache; they appear together, through a staging folder beside them. */
  private static List<Path> write(
      Path out,
      Export export,
      TrtexecRecipe recipe,
      CalibrationTable table,
      Map<String, String> options)
      throws EdgeoptException {
    try (AtomicFiles.Staging staging = AtomicFiles.stage(out)) {
      Files.write(staging.file(export.fileName()), OnnxModels.toBytes(export.graph()));
      recipe.write(staging.file(RECIPE));
      if (table != null) {
        int version =
            options.containsKey("tensorrt-version")
                ? TensorRtCalibrationCache.version(options.get("tensorrt-version"))
                : TensorRtCalibrationCache.DEFAULT_VERSION;
        Files.writeString(
            staging.file(CALIBRATION_CACHE), TensorRtCalibrationCache.render(table, version));
      }
      return staging.commit();
    } catch (IOException e) {
      throw EdgeoptException.invalid(
          "cannot write TensorRT artifacts into " + out + ": " + e.getMessage(), e);
    }
  }

  /** Builds the engine in-process (needs CUDA and TensorRT here); returns the engine and its timing cache. */
  private static List<Path> buildEngine(
      Path out, String fileName, TrtexecRecipe recipe, List<String> messages)
      throws EdgeoptException {
    TensorRtEnvironment env = TensorRtEnvironment.probe();
    if (!env.ready()) {
      throw new EdgeoptException(
          ExitCode.INCOMPATIBLE,
          "cannot build the TensorRT engine in-process: missing "
              + env.describeMissing()
              + "; wrote "
              + fileName
              + " and "
              + RECIPE
              + " in "
              + out
              + ": run "
              + out.resolve(RECIPE)
              + " on the device instead");
    }
    Path engine = out.resolve(TrtexecRecipe.ENGINE);
    Path timing = out.resolve(TrtexecRecipe.TIMING_CACHE);
    TensorRtEngineBuilder.build(out.resolve(fileName), recipe, engine, timing);
    messages.add("engine built in-process: " + engine);
    return List.of(engine, timing);
  }

  private static boolean unsupportedOps(Graph g, TargetProfile profile, List<String> messages) {
    TreeSet<String> bad = new TreeSet<>();
    for (Node n : g.nodes()) {
      if (n.domain().isEmpty() && !profile.support(n.opType()).supported()) {
        bad.add(n.opType() + " (" + profile.support(n.opType()).constraints() + ")");
      }
    }
    bad.forEach(b -> messages.add("not supported by " + profile.name() + ": " + b));
    return bad.isEmpty();
  }

  private static int intOption(Map<String, String> options, String key, int fallback)
      throws EdgeoptException {
    String v = options.get(key);
    if (v == null) {
      return fallback;
    }
    try {
      int n = Integer.parseInt(v.strip());
      if (n < 1) {
        throw new NumberFormatException();
      }
      return n;
    } catch (NumberFormatException e) {
      throw EdgeoptException.invalid("option " + key + "=" + v + ": expected a positive integer");
    }
  }
}
