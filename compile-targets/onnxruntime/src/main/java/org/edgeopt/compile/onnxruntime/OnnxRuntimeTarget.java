package org.edgeopt.compile.onnxruntime;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.edgeopt.core.EdgeoptException;
import org.edgeopt.core.graph.DataType;
import org.edgeopt.core.graph.Graph;
import org.edgeopt.core.graph.Node;
import org.edgeopt.core.graph.Tensor;
import org.edgeopt.core.graph.TensorType;
import org.edgeopt.core.io.AtomicFiles;
import org.edgeopt.core.onnx.OnnxModels;
import org.edgeopt.core.runtime.InferenceSession;
import org.edgeopt.core.runtime.OrtRuntime;
import org.edgeopt.core.runtime.SessionOptions;
import org.edgeopt.core.targets.CompileRequest;
import org.edgeopt.core.targets.CompileResult;
import org.edgeopt.core.targets.Target;
import org.edgeopt.core.targets.TargetProfile;

/**
 * The ONNX Runtime target: saves the model as ONNX Runtime's optimizer leaves it at the
 * extended level (fusions, QDQ folded into integer kernels) so the device does not redo that
 * work at every start, and reports what was fused.
 *
 * <p>The extended level is the highest that stays portable: the "all" level writes layouts
 * specific to the machine it ran on (see ARCHITECTURE.md).
 */
public final class OnnxRuntimeTarget implements Target {
  /** How many steps of a quantized output the optimized model may be off by (see {@link #tolerance}). */
  static final int OUTPUT_STEPS = 4;

  private static final Set<String> WEIGHTED = Set.of("Conv", "Gemm", "MatMul", "ConvTranspose");
  private static final Set<String> INTEGER_KERNELS =
      Set.of(
          "QLinearConv",
          "QLinearMatMul",
          "QGemm",
          "ConvInteger",
          "MatMulInteger",
          "MatMulIntegerToFloat",
          "DynamicQuantizeMatMul",
          "QAttention");
  static final String MODEL_FILE = "model.ort.onnx";
  static final String REPORT_FILE = "onnxruntime-report.json";
  private static final ObjectMapper JSON =
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  @Override
  public String id() {
    return "onnxruntime";
  }

  /** Returns int8 for a quantized model, else fp32: ONNX Runtime's CPU kernels run FP16 no faster than FP32. */
  @Override
  public String defaultPrecision(TargetProfile profile, boolean quantized) {
    return quantized || profile.precisions().equals(List.of("int8")) ? "int8" : "fp32";
  }

  @Override
  public CompileResult compile(CompileRequest request) throws EdgeoptException {
    if (!request.profile().supportsPrecision(request.precision())) {
      throw EdgeoptException.incompatible(
          "target "
              + request.profile().name()
              + " runs "
              + request.profile().precisions()
              + ", not "
              + request.precision());
    }
    Graph source = OnnxModels.read(request.model());
    // Both files go into a staging folder beside the output and appear together only once the
    // optimized model has been checked: a failure or a signal leaves neither behind.
    try (AtomicFiles.Staging staging = AtomicFiles.stage(request.outputDir())) {
      Path tmp = staging.file(MODEL_FILE);
      // ONNX Runtime creates this file itself, with the process's umask (0644 as a rule).
      // HOST arithmetic: the exact mode rewrites int8 weights to uint8 for this host's U8U8
      // kernels, which must never end up in a model saved for other machines.
      SessionOptions opts =
          SessionOptions.defaults()
              .withOptimization(SessionOptions.Optimization.EXTENDED)
              .withInt8Arithmetic(SessionOptions.Int8Arithmetic.HOST)
              .savingOptimizedModel(tmp);
      try (InferenceSession s = OrtRuntime.get().open(request.model(), opts)) {
        s.inputNames();
      }
      Graph optimized = OnnxModels.read(tmp);
      FusionReport fr = report(source, optimized, request.model(), tmp);
      if (!fr.withinTolerance()) {
        // The check runs both models with exact INT8 arithmetic, so a difference here is ONNX
        // Runtime's rewrite changing the model's meaning on this target: incompatible, not a crash.
        throw EdgeoptException.incompatible(
            request.model()
                + ": ONNX Runtime's optimized model differs from the input"
                + " on a seeded input by "
                + String.format(java.util.Locale.ROOT, "%.3g", fr.maxAbsDiff())
                + ", expected at most "
                + String.format(java.util.Locale.ROOT, "%.3g", fr.tolerance())
                + "; nothing written to "
                + request.outputDir());
      }
      AtomicFiles.writeString(staging.file(REPORT_FILE), JSON.writeValueAsString(fr) + "\n");
      List<String> messages = new ArrayList<>();
      messages.add(
          fr.integerKernels()
              + " integer kernels; "
              + fr.floatLayers().size()
              + " of "
              + fr.weightedLayers()
              + " weighted layers left in float"
              + (fr.floatLayers().isEmpty() ? "" : ": " + fr.floatLayers()));
      messages.add(
          String.format(
              "optimized vs input model on a seeded input: max |diff| %.3g, tolerance %.3g: %s",
              fr.maxAbsDiff(), fr.tolerance(), fr.withinTolerance() ? "within" : "EXCEEDED"));
      return new CompileResult(staging.commit(), true, messages);
    } catch (IOException e) {
      throw EdgeoptException.invalid(
          "cannot write to " + request.outputDir() + ": " + e.getMessage(), e);
    }
  }

  private static FusionReport report(
      Graph source, Graph optimized, Path sourceFile, Path optimizedFile) throws EdgeoptException {
    int integer = 0;
    for (Node n : optimized.nodes()) {
      if (INTEGER_KERNELS.contains(n.opType())) {
        integer++;
      }
    }
    List<String> floatLayers = new ArrayList<>();
    for (Node n : optimized.nodes()) {
      if (WEIGHTED.contains(n.opType())) {
        floatLayers.add(n.name());
      }
    }
    int weighted = (int) source.nodes().stream().filter(n -> WEIGHTED.contains(n.opType())).count();
    boolean quantized = source.nodes().stream().anyMatch(n -> n.opType().equals("QuantizeLinear"));
    if (!quantized) {
      // A float model has no integer kernels to expect; nothing counts as "left in float".
      floatLayers.clear();
    }
    double[] diffAndRange = maxAbsDiff(source, sourceFile, optimizedFile);
    double tolerance = tolerance(quantized, diffAndRange[1], outputStep(source));
    return new FusionReport(
        source.opHistogram(),
        optimized.opHistogram(),
        integer,
        weighted,
        floatLayers,
        diffAndRange[0],
        tolerance);
  }

  /**
   * Returns how far the optimized model's outputs may be from the input model's.
   *
   * <p>Float fusions only reorder arithmetic: 1e-4 of the output range. Integer kernels round
   * each layer's int32 sums once where the QDQ graph rounds a float sum, so a rounding can land one
   * step away at any layer and grow on the way to the output: 2% of the output range, and never
   * less than {@link #OUTPUT_STEPS} steps of a quantized output, whose values move only in steps.
   *
   * @param outputStep the largest quantization step of an output produced by a DequantizeLinear,
   *     0 when no output is quantized
   */
  static double tolerance(boolean quantized, double outputRange, double outputStep) {
    if (!quantized) {
      return 1e-4 * Math.max(1.0, outputRange);
    }
    return Math.max(2e-2 * Math.max(1.0, outputRange), OUTPUT_STEPS * outputStep);
  }

  /** Returns the largest scale of a DequantizeLinear that produces a graph output, 0 when none does. */
  static double outputStep(Graph g) {
    java.util.Set<String> outputs = new java.util.HashSet<>();
    g.outputs().forEach(v -> outputs.add(v.name()));
    double step = 0;
    for (Node n : g.nodes()) {
      if (n.opType().equals("DequantizeLinear")
          && n.outputs().stream().anyMatch(outputs::contains)
          && n.inputs().size() > 1) {
        Tensor scale = g.initializers().get(n.inputs().get(1));
        if (scale != null && scale.dataType() == DataType.FLOAT) {
          for (float f : scale.toFloats()) {
            if (Float.isFinite(f)) {
              step = Math.max(step, Math.abs(f));
            }
          }
        }
      }
    }
    return step;
  }

  /** Runs both models on one seeded input; returns the largest output difference and output magnitude. */
  private static double[] maxAbsDiff(Graph source, Path a, Path b) throws EdgeoptException {
    Map<String, Tensor> feed = new LinkedHashMap<>();
    java.util.Random r = new java.util.Random(42);
    for (var v : source.inputs()) {
      TensorType t = v.type();
      if (t == null || t.shape() == null || t.dataType() != DataType.FLOAT) {
        return new double[] {Double.NaN, 0};
      }
      long[] dims = t.shape().sizes();
      for (int i = 0; i < dims.length; i++) {
        dims[i] = dims[i] < 0 ? 1 : dims[i];
      }
      int n = 1;
      for (long d : dims) {
        n *= (int) d;
      }
      float[] x = new float[n];
      for (int i = 0; i < n; i++) {
        x[i] = (float) r.nextGaussian();
      }
      feed.put(v.name(), Tensor.ofFloats(v.name(), dims, x));
    }
    SessionOptions plain =
        SessionOptions.defaults().withOptimization(SessionOptions.Optimization.NONE).withThreads(1);
    try (InferenceSession sa = OrtRuntime.get().open(a, plain);
        InferenceSession sb = OrtRuntime.get().open(b, plain)) {
      Map<String, Tensor> ya = sa.run(feed);
      Map<String, Tensor> yb = sb.run(feed);
      double max = 0;
      double range = 0;
      for (String k : ya.keySet()) {
        float[] p = ya.get(k).toFloats();
        float[] q = yb.get(k).toFloats();
        for (int i = 0; i < p.length; i++) {
          max = Math.max(max, Math.abs(p[i] - q[i]));
          range = Math.max(range, Math.abs(p[i]));
        }
      }
      return new double[] {max, range};
    }
  }
}
