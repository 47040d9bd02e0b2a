package org.edgeopt.target.onnxruntime;

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
import org.edgeopt.core.target.CompileRequest;
import org.edgeopt.core.target.CompileResult;
import org.edgeopt.core.target.Target;

/**
 * The ONNX Runtime target: saves the model as ONNX Runtime's optimizer leaves it at the
 * extended level (fusions, QDQ folded into integer kernels) so the device does not redo that
 * work at every start, and reports what was fused.
 *
 * <p>The extended level is the highest that stays portable: the "all" level writes layouts
 * specific to the machine it ran on (see ARCHITECTURE.md).
 */
public final class OnnxRuntimeTarget implements Target {
  private static final Set<String> WEIGHTED = Set.of("Conv", "Gemm", "MatMul", "ConvTranspose");
  private static final Set<String> INTEGER_KERNELS = Set.of("QLinearConv", "QLinearMatMul", "QGemm", "ConvInteger",
      "MatMulInteger", "MatMulIntegerToFloat", "DynamicQuantizeMatMul", "QAttention");
  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  @Override
  public String id() {
    return "onnxruntime";
  }

  @Override
  public CompileResult compile(CompileRequest request) throws EdgeoptException {
    if (!request.profile().supportsPrecision(request.precision())) {
      throw EdgeoptException.incompatible("target " + request.profile().name() + " runs " + request.profile().precisions()
          + ", not " + request.precision());
    }
    Graph source = OnnxModels.read(request.model());
    Path out = request.outputDir().resolve("model.ort.onnx");
    Path report = request.outputDir().resolve("onnxruntime-report.json");
    try {
      Files.createDirectories(request.outputDir());
      Path tmp = Files.createTempFile(request.outputDir(), ".model.ort.", ".onnx");
      try {
        // HOST arithmetic: the exact mode rewrites int8 weights to uint8 for this host's U8U8
        // kernels, which must never end up in a model saved for other machines.
        SessionOptions opts = SessionOptions.defaults().withOptimization(SessionOptions.Optimization.EXTENDED)
            .withInt8Arithmetic(SessionOptions.Int8Arithmetic.HOST).savingOptimizedModel(tmp);
        try (InferenceSession s = OrtRuntime.get().open(request.model(), opts)) {
          s.inputNames();
        }
        Graph optimized = OnnxModels.read(tmp);
        FusionReport fr = report(source, optimized, request.model(), tmp);
        Files.move(tmp, out, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        AtomicFiles.writeString(report, JSON.writeValueAsString(fr) + "\n");
        List<String> messages = new ArrayList<>();
        messages.add(fr.integerKernels() + " integer kernels; " + fr.floatLayers().size() + " of " + fr.weightedLayers()
            + " weighted layers left in float" + (fr.floatLayers().isEmpty() ? "" : ": " + fr.floatLayers()));
        messages.add(String.format("optimized vs input model on a seeded input: max |diff| %.3g, tolerance %.3g: %s",
            fr.maxAbsDiff(), fr.tolerance(), fr.withinTolerance() ? "within" : "EXCEEDED"));
        if (!fr.withinTolerance()) {
          throw new EdgeoptException(org.edgeopt.core.ExitCode.INTERNAL, "ONNX Runtime's optimized model differs from "
              + request.model() + " by " + fr.maxAbsDiff() + ", over the tolerance " + fr.tolerance());
        }
        return new CompileResult(List.of(out, report), true, messages);
      } finally {
        Files.deleteIfExists(tmp);
      }
    } catch (IOException e) {
      throw new EdgeoptException(org.edgeopt.core.ExitCode.INTERNAL, "cannot write to " + request.outputDir() + ": " + e.getMessage(), e);
    }
  }

  private static FusionReport report(Graph source, Graph optimized, Path sourceFile, Path optimizedFile)
      throws EdgeoptException {
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
    // Float fusions only reorder arithmetic: 1e-4 of the output range. Integer kernels requantize
    // between layers where the QDQ graph stays in float, so a few output quantization steps
    // (2% of the range, about 5 int8 steps) are expected there.
    double tolerance = (quantized ? 2e-2 : 1e-4) * Math.max(1.0, diffAndRange[1]);
    return new FusionReport(source.opHistogram(), optimized.opHistogram(), integer, weighted, floatLayers,
        diffAndRange[0], tolerance);
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
    SessionOptions plain = SessionOptions.defaults().withOptimization(SessionOptions.Optimization.NONE).withThreads(1);
    try (InferenceSession sa = OrtRuntime.get().open(a, plain); InferenceSession sb = OrtRuntime.get().open(b, plain)) {
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
