package org.edgeopt.validate;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.edgeopt.core.EdgeoptException;
import org.edgeopt.core.data.Batch;
import org.edgeopt.core.data.Dataset;
import org.edgeopt.core.graph.DataType;
import org.edgeopt.core.graph.Graph;
import org.edgeopt.core.graph.GraphBuilder;
import org.edgeopt.core.graph.Node;
import org.edgeopt.core.graph.Tensor;
import org.edgeopt.core.graph.TensorType;
import org.edgeopt.core.graph.Value;
import org.edgeopt.core.quant.QuantParams;
import org.edgeopt.core.runtime.InferenceSession;
import org.edgeopt.core.runtime.OrtRuntime;
import org.edgeopt.core.runtime.SessionOptions;

/**
 * Makes real INT8 QDQ candidates from an FP32 graph in test code, the way a post-training quantizer
 * does: int8 weights per tensor (scale = absmax / 127) through QuantizeLinear/DequantizeLinear pairs
 * on every Conv and Gemm, and optionally uint8 activations with min/max ranges calibrated on data.
 * A damaged candidate quantizes one layer's weights with a wrong (multiplied) scale.
 */
final class QdqCandidates {
  private static final Set<String> QUANTIZED_OPS = Set.of("Conv", "Gemm", "MatMul");

  private QdqCandidates() {}

  /** Returns the graph with int8 weight QDQ on every Conv/Gemm/MatMul; {@code damaged}'s scale is multiplied by {@code factor}. */
  static Graph weightsOnly(Graph g, String damaged, float factor) {
    return quantize(g, Map.of(), damaged, factor);
  }

  /**
   * Returns the graph with int8 weight QDQ and, for every activation input listed in {@code ranges}
   * ({@code [min, max]}), a uint8 QuantizeLinear/DequantizeLinear pair in front of its layer.
   */
  static Graph quantize(Graph g, Map<String, float[]> ranges, String damaged, float factor) {
    GraphBuilder b = g.toBuilder();
    Map<String, String> activationDq = new HashMap<>();
    for (Node n : g.nodes()) {
      if (!QUANTIZED_OPS.contains(n.opType())) {
        continue;
      }
      List<String> in = new ArrayList<>(n.inputs());
      String w = n.input(1);
      Tensor weight = g.initializers().get(w);
      if (weight != null) {
        float absMax = 0;
        for (float v : weight.toFloats()) {
          absMax = Math.max(absMax, Math.abs(v));
        }
        float scale = absMax / 127f * (n.name().equals(damaged) ? factor : 1f);
        in.set(1, qdq(b, w, scale, 0, DataType.INT8));
      }
      String x = n.input(0);
      float[] range = ranges.get(x);
      if (range != null) {
        String dq = activationDq.get(x);
        if (dq == null) {
          QuantParams p = QuantParams.asymmetric(range[0], range[1], DataType.UINT8);
          dq = qdq(b, x, p.scales()[0], p.zeroPoints()[0], DataType.UINT8);
          activationDq.put(x, dq);
        }
        in.set(0, dq);
      }
      b.replaceNode(n.withInputs(in));
    }
    return b.build();
  }

  private static String qdq(GraphBuilder b, String x, float scale, long zeroPoint, DataType type) {
    String s = b.uniqueName(x + "_scale");
    String z = b.uniqueName(x + "_zero_point");
    b.addInitializer(Tensor.scalar(s, scale));
    b.addInitializer(Tensor.ofBytes(z, type, new long[0], new byte[] {(byte) zeroPoint}));
    String q = b.uniqueName(x + "_quantized");
    String dq = b.uniqueName(x + "_dequantized");
    b.add("QuantizeLinear", b.uniqueName(x + "_QuantizeLinear"), List.of(x, s, z), List.of(q));
    b.add("DequantizeLinear", b.uniqueName(x + "_DequantizeLinear"), List.of(q, s, z), List.of(dq));
    return dq;
  }

  /**
   * Calibrates min/max of every activation input of a Conv/Gemm/MatMul on the first {@code samples}
   * of {@code data}, running the FP32 graph with those tensors exposed.
   */
  static Map<String, float[]> calibrate(Graph g, Dataset data, int samples) throws EdgeoptException {
    Set<String> inputs = new LinkedHashSet<>();
    g.inputs().forEach(v -> inputs.add(v.name()));
    Set<String> acts = new LinkedHashSet<>();
    for (Node n : g.nodes()) {
      if (QUANTIZED_OPS.contains(n.opType()) && !g.initializers().containsKey(n.input(0))) {
        acts.add(n.input(0));
      }
    }
    GraphBuilder b = g.toBuilder();
    List<String> fetch = new ArrayList<>();
    g.outputs().forEach(v -> fetch.add(v.name()));
    for (String a : acts) {
      if (!inputs.contains(a) && !fetch.contains(a)) {
        b.addOutput(new Value(a, new TensorType(DataType.FLOAT, null)));
        fetch.add(a);
      }
    }
    Map<String, float[]> ranges = new HashMap<>();
    try (InferenceSession s = OrtRuntime.get().open(b.build(), SessionOptions.defaults().withThreads(1)
        .withOptimization(SessionOptions.Optimization.NONE))) {
      String input = s.inputNames().get(0);
      int bs = ModelFeeds.fixedBatch(s) > 0 ? ModelFeeds.fixedBatch(s) : 50;
      Iterator<Batch> it = data.batches(bs, samples);
      while (it.hasNext()) {
        Batch batch = it.next();
        Map<String, Tensor> out = s.run(Map.of(input, batch.input().withName(input)), fetch);
        for (String a : acts) {
          Tensor t = inputs.contains(a) ? batch.input() : out.get(a);
          float[] r = ranges.computeIfAbsent(a, k -> new float[] {Float.MAX_VALUE, -Float.MAX_VALUE});
          for (float v : t.toFloats()) {
            r[0] = Math.min(r[0], v);
            r[1] = Math.max(r[1], v);
          }
        }
      }
    }
    return ranges;
  }

  /**
   * Returns the graph with every Conv/Gemm/MatMul weight stored in float16 and cast back to float
   * before use, as an FP16 weight conversion does.
   */
  static Graph fp16Weights(Graph g) {
    GraphBuilder b = g.toBuilder();
    for (Node n : g.nodes()) {
      Tensor w = g.initializers().get(n.input(1));
      if (!QUANTIZED_OPS.contains(n.opType()) || w == null) {
        continue;
      }
      String half = b.uniqueName(w.name() + "_fp16");
      b.addInitializer(Tensor.ofFloat16(half, w.dims(), w.toFloats()));
      String back = b.add("Cast", b.uniqueName(w.name() + "_Cast"), List.of(half), List.of(b.uniqueName(w.name() + "_fp32")),
          org.edgeopt.core.graph.Attribute.of("to", (long) DataType.FLOAT.onnxCode()));
      List<String> in = new ArrayList<>(n.inputs());
      in.set(1, back);
      b.replaceNode(n.withInputs(in));
    }
    return b.removeUnused().build();
  }

  /** Returns the graph with every node renamed, so only output names or op order can match it. */
  static Graph renameNodes(Graph g) {
    GraphBuilder b = new GraphBuilder(g.name(), g.opset()).info(g.info());
    g.inputs().forEach(b::addInput);
    g.outputs().forEach(b::addOutput);
    g.initializers().values().forEach(b::addInitializer);
    int i = 0;
    for (Node n : g.nodes()) {
      b.addNode(new Node("renamed_" + i++, n.opType(), n.domain(), n.inputs(), n.outputs(), n.attributes()));
    }
    return b.build();
  }
}
