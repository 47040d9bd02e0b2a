package org.edgeopt.compile.tflite;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.edgeopt.core.EdgeoptException;
import org.edgeopt.core.graph.Attribute;
import org.edgeopt.core.graph.DataType;
import org.edgeopt.core.graph.Graph;
import org.edgeopt.core.graph.GraphBuilder;
import org.edgeopt.core.graph.Node;
import org.edgeopt.core.graph.Tensor;
import org.edgeopt.core.graph.Value;
import org.edgeopt.core.onnx.OnnxChecker;
import org.edgeopt.core.quant.QuantParams;
import org.edgeopt.core.runtime.InferenceSession;
import org.edgeopt.core.runtime.OrtRuntime;
import org.edgeopt.core.runtime.SessionOptions;

/**
 * Places QDQ by hand around every op of a small FP32 graph (opset 13), as a full-int8 converter
 * would, for the op-level lowering tests only. Whole models (the small CNN, the golden file, the
 * real models) are quantized by the quantize module itself ({@link EdgeTpuQuantization}); this
 * fixture remains for single ops that module leaves in float today (a graph input read directly
 * by Relu, Clip, MaxPool, Flatten, Pad, Resize, Softmax, Sub or LRN gets no QuantizeLinear, and
 * AveragePool is requantized rather than sharing its input's parameters), and for deliberately
 * skewed QDQ models.
 *
 * <p>Conv weights int8 per-channel (Gemm/MatMul per tensor) symmetric behind DequantizeLinear, biases int32 with scale input
 * scale x weight scale, activations int8 asymmetric behind QuantizeLinear/DequantizeLinear
 * pairs; ReLU/Clip after a Conv/Gemm/Add is quantized after the activation; pooling and reshapes
 * keep their input's parameters, concatenation inputs take the output's, softmax outputs take
 * (1/256, -128), as the TFLite converter does.
 */
final class TestQuantizer {
  private static final Set<String> FUSING = Set.of("Conv", "Gemm", "MatMul", "Add", "Sub", "Mul");
  private static final Set<String> SHARING =
      Set.of(
          "MaxPool",
          "AveragePool",
          "Reshape",
          "Flatten",
          "Squeeze",
          "Unsqueeze",
          "Pad",
          "Resize",
          "Identity",
          "Dropout");

  private TestQuantizer() {}

  /** Returns the [min, max] of every float value of the graph over the calibration inputs (ONNX Runtime). */
  static Map<String, float[]> calibrate(Graph g, List<Map<String, Tensor>> inputs)
      throws EdgeoptException {
    Graph typed = OnnxChecker.inferShapes(g, "calibration");
    List<Value> outs = new ArrayList<>();
    Set<String> seen = new HashSet<>();
    for (Node n : typed.nodes()) {
      for (String o : n.outputs()) {
        if (!o.isEmpty()
            && typed.type(o).map(t -> t.dataType() == DataType.FLOAT).orElse(false)
            && seen.add(o)) {
          outs.add(new Value(o, typed.type(o).get()));
        }
      }
    }
    Graph probe = typed.toBuilder().setOutputs(outs).build();
    Map<String, float[]> ranges = new HashMap<>();
    try (InferenceSession s =
        OrtRuntime.get()
            .open(
                probe,
                SessionOptions.defaults()
                    .withThreads(1)
                    .withOptimization(SessionOptions.Optimization.NONE))) {
      for (Map<String, Tensor> in : inputs) {
        for (Map.Entry<String, Tensor> e : in.entrySet()) {
          widen(ranges, e.getKey(), e.getValue().toFloats());
        }
        for (Map.Entry<String, Tensor> e : s.run(in).entrySet()) {
          widen(ranges, e.getKey(), e.getValue().toFloats());
        }
      }
    }
    return ranges;
  }

  private static void widen(Map<String, float[]> ranges, String name, float[] v) {
    float[] r = ranges.computeIfAbsent(name, k -> new float[] {Float.MAX_VALUE, -Float.MAX_VALUE});
    for (float x : v) {
      r[0] = Math.min(r[0], x);
      r[1] = Math.max(r[1], x);
    }
  }

  /** Quantizes with ranges measured on {@code inputs}. */
  static Graph quantize(Graph g, List<Map<String, Tensor>> inputs) throws EdgeoptException {
    return quantize(g, calibrate(g, inputs));
  }

  /** Quantizes with the given ranges (by float value name). */
  static Graph quantize(Graph g, Map<String, float[]> ranges) throws EdgeoptException {
    return quantize(g, ranges, false);
  }

  /**
   * Quantizes with the given ranges; with {@code floatOutputs} the graph outputs stay float, as
   * ONNX Runtime's quantizer leaves the last Gemm.
   */
  static Graph quantize(Graph g, Map<String, float[]> ranges, boolean floatOutputs)
      throws EdgeoptException {
    Map<String, List<Node>> readers = g.consumers();
    Map<String, QuantParams> act = new LinkedHashMap<>();
    for (Value v : g.inputs()) {
      act.put(v.name(), params(ranges, v.name()));
    }
    for (Node n : g.nodes()) {
      String y = n.outputs().get(0);
      if (!ranges.containsKey(y)) {
        continue;
      }
      if (n.opType().equals("Softmax")) {
        act.put(y, new QuantParams(new float[] {1f / 256f}, new long[] {-128}, -1, DataType.INT8));
      } else if (SHARING.contains(n.opType())) {
        QuantParams in = act.get(n.input(0));
        act.put(y, in != null ? in : params(ranges, y));
      } else if (FUSING.contains(n.opType()) && fusesInto(n, readers)) {
        continue;
      } else {
        act.put(y, params(ranges, y));
      }
    }
    // Concatenation inputs take the output's parameters, so CONCATENATION needs no requantization.
    for (Node n : g.nodes()) {
      if (n.opType().equals("Concat")) {
        for (String in : n.inputs()) {
          act.put(in, act.get(n.output()));
        }
      }
    }
    if (floatOutputs) {
      g.outputs().forEach(v -> act.remove(v.name()));
    }
    GraphBuilder b = g.toBuilder();
    for (Map.Entry<String, QuantParams> e : act.entrySet()) {
      addQdq(b, g, e.getKey(), e.getValue());
    }
    for (Node n : b.nodes()) {
      switch (n.opType()) {
        case "Conv" -> weighted(b, n, act, 0);
        case "Gemm" -> weighted(b, n, act, n.intAttr("transB", 0) != 0 ? 0 : 1);
        case "MatMul" -> weighted(b, n, act, 1);
        case "Add", "Sub", "Mul" -> {
          for (int i = 0; i < 2; i++) {
            Tensor c = b.initializers().get(n.input(i));
            if (c != null) {
              float[] f = c.toFloats();
              float lo = 0;
              float hi = 0;
              for (float x : f) {
                lo = Math.min(lo, x);
                hi = Math.max(hi, x);
              }
              String dq =
                  dequantized(b, c, QuantParams.asymmetric(lo, hi, DataType.INT8), DataType.INT8);
              n = replaceInput(b, n, i, dq);
            }
          }
        }
        default -> {}
      }
    }
    b.removeUnused();
    b.info(b.info().withOpset(Math.max(13, g.opset())));
    Graph q = b.build();
    OnnxChecker.check(q, "test QDQ model");
    return q;
  }

  private static boolean fusesInto(Node n, Map<String, List<Node>> readers) {
    List<Node> r = readers.getOrDefault(n.output(), List.of());
    return r.size() == 1 && (r.get(0).opType().equals("Relu") || r.get(0).opType().equals("Clip"));
  }

  private static QuantParams params(Map<String, float[]> ranges, String name) {
    float[] r = ranges.get(name);
    if (r == null) {
      throw new IllegalArgumentException("no calibration range for '" + name + "'");
    }
    return QuantParams.asymmetric(r[0], r[1], DataType.INT8);
  }

  /** Inserts QuantizeLinear -> DequantizeLinear after a float value and makes its readers read the result. */
  private static void addQdq(GraphBuilder b, Graph g, String v, QuantParams p) {
    String scale = b.uniqueName(v + "_scale");
    String zp = b.uniqueName(v + "_zero_point");
    b.addInitializer(Tensor.ofFloats(scale, new long[0], new float[] {p.scale()}));
    b.addInitializer(
        Tensor.ofBytes(zp, DataType.INT8, new long[0], new byte[] {(byte) p.zeroPoint()}));
    String q = b.uniqueName(v + "_quantized");
    boolean isOutput = g.isOutput(v);
    String src = v;
    if (isOutput) {
      // Keep the model output's name on the DequantizeLinear: rename the producer's output instead.
      src = b.uniqueName(v + "_float");
      renameProducerOutput(b, v, src);
    }
    String dq = isOutput ? v : b.uniqueName(v + "_dequantized");
    if (!isOutput) {
      b.replaceUses(v, dq);
    }
    b.add(
        "QuantizeLinear", b.uniqueName(v + "_QuantizeLinear"), List.of(src, scale, zp), List.of(q));
    b.add(
        "DequantizeLinear",
        b.uniqueName(v + "_DequantizeLinear"),
        List.of(q, scale, zp),
        List.of(dq));
  }

  private static void renameProducerOutput(GraphBuilder b, String from, String to) {
    for (Node n : b.nodes()) {
      if (n.outputs().contains(from)) {
        List<String> outs = new ArrayList<>(n.outputs());
        outs.set(outs.indexOf(from), to);
        b.replaceNode(n.withOutputs(outs));
        return;
      }
    }
  }

  /** Quantizes the weights (per channel along {@code channelAxis}) and bias of a Conv, Gemm or MatMul. */
  private static void weighted(
      GraphBuilder b, Node n, Map<String, QuantParams> act, int channelAxis) {
    Tensor w = b.initializers().get(n.input(1));
    if (w == null) {
      return;
    }
    int channels = (int) w.dim(channelAxis);
    float[] f = w.toFloats();
    int inner = 1;
    for (int d = channelAxis + 1; d < w.rank(); d++) {
      inner *= (int) w.dim(d);
    }
    float[] absMax = new float[channels];
    for (int i = 0; i < f.length; i++) {
      int c = (i / inner) % channels;
      absMax[c] = Math.max(absMax[c], Math.abs(f[i]));
    }
    // Conv weights per output channel; Gemm/MatMul weights per tensor, as the TFLite int8 spec has
    // them.
    boolean perTensor = !n.opType().equals("Conv");
    float all = 0;
    for (float m : absMax) {
      all = Math.max(all, m);
    }
    QuantParams wp =
        perTensor
            ? QuantParams.symmetric(all, DataType.INT8)
            : QuantParams.perChannelSymmetric(absMax, channelAxis);
    n = replaceInput(b, n, 1, dequantized(b, w, wp, DataType.INT8));
    Tensor bias = n.inputs().size() > 2 ? b.initializers().get(n.input(2)) : null;
    QuantParams in = act.get(sourceOf(b, n.input(0)));
    if (bias != null && in != null) {
      int bc = wp.scales().length;
      float[] s = new float[bc];
      for (int c = 0; c < bc; c++) {
        s[c] = in.scale() * wp.scales()[c];
      }
      QuantParams bp = new QuantParams(s, new long[bc], bc > 1 ? 0 : -1, DataType.INT32);
      replaceInput(b, n, 2, dequantized(b, bias, bp, DataType.INT32));
    }
  }

  /** Returns the float value a DequantizeLinear output stands for (the QuantizeLinear's input). */
  private static String sourceOf(GraphBuilder b, String v) {
    for (Node dq : b.nodes()) {
      if (dq.opType().equals("DequantizeLinear") && dq.output().equals(v)) {
        for (Node q : b.nodes()) {
          if (q.opType().equals("QuantizeLinear") && q.output().equals(dq.input(0))) {
            return q.input(0);
          }
        }
      }
    }
    return v;
  }

  private static String dequantized(GraphBuilder b, Tensor t, QuantParams p, DataType type) {
    float[] f = t.toFloats();
    int channels = p.scales().length;
    int axis = Math.max(p.axis(), 0);
    int inner = 1;
    for (int d = axis + 1; d < t.rank(); d++) {
      inner *= (int) t.dim(d);
    }
    String base = t.name();
    String qName = b.uniqueName(base + "_quantized");
    if (type == DataType.INT32) {
      int[] q = new int[f.length];
      for (int i = 0; i < f.length; i++) {
        int c = channels == 1 ? 0 : (i / inner) % channels;
        q[i] = (int) Math.rint(f[i] / (double) p.scales()[c]);
      }
      b.addInitializer(Tensor.ofInts(qName, t.dims(), q));
    } else {
      byte[] q = new byte[f.length];
      for (int i = 0; i < f.length; i++) {
        q[i] = (byte) p.quantize(f[i], channels == 1 ? 0 : (i / inner) % channels);
      }
      b.addInitializer(Tensor.ofBytes(qName, DataType.INT8, t.dims(), q));
    }
    String scale = b.uniqueName(base + "_scale");
    String zp = b.uniqueName(base + "_zero_point");
    long[] d = channels == 1 ? new long[0] : new long[] {channels};
    b.addInitializer(Tensor.ofFloats(scale, d, p.scales()));
    if (type == DataType.INT32) {
      b.addInitializer(Tensor.ofInts(zp, d, new int[channels]));
    } else {
      byte[] z = new byte[channels];
      for (int c = 0; c < channels; c++) {
        z[c] = (byte) p.zeroPoints()[c];
      }
      b.addInitializer(Tensor.ofBytes(zp, DataType.INT8, d, z));
    }
    String out = b.uniqueName(base + "_dequantized");
    List<Attribute> attrs = new ArrayList<>();
    if (channels > 1) {
      attrs.add(Attribute.of("axis", (long) axis));
    }
    b.add(
        "DequantizeLinear",
        b.uniqueName(base + "_DequantizeLinear"),
        List.of(qName, scale, zp),
        List.of(out),
        attrs.toArray(new Attribute[0]));
    return out;
  }

  private static Node replaceInput(GraphBuilder b, Node n, int i, String value) {
    List<String> in = new ArrayList<>(n.inputs());
    in.set(i, value);
    Node m = n.withInputs(in);
    b.replaceNode(m);
    return m;
  }
}
