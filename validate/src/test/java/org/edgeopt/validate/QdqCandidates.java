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
 * does: int8 weights per output channel (scale = channel absmax / 127, zero point 0) through
 * QuantizeLinear/DequantizeLinear pairs on every Conv, Gemm and MatMul, and optionally uint8
 * activations per tensor with min/max ranges calibrated on data. A damaged candidate quantizes one
 * layer's weights with a wrong (multiplied) scale. Per-channel weights matter: with one scale per
 * tensor, the BatchNorm-folded depthwise convolutions of a MobileNetV2 lose most of their precision
 * (the diagnosis shows them at 6 to 12 dB on the Fashion-MNIST sample).
 */
final class QdqCandidates {
  private static final Set<String> QUANTIZED_OPS = Set.of("Conv", "Gemm", "MatMul");

  private QdqCandidates() {}

  /** Returns the graph with int8 weight QDQ on every Conv/Gemm/MatMul; {@code damaged}'s scales are multiplied by {@code factor}. */
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
        int axis = outputChannelAxis(n);
        float[] scales = perChannelScales(weight, axis);
        for (int c = 0; c < scales.length; c++) {
          scales[c] *= n.name().equals(damaged) ? factor : 1f;
        }
        in.set(1, weightQdq(b, w, scales, axis));
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

  /** Returns the axis of a weight that indexes output channels: 0 for Conv and Gemm with transB, else 1. */
  private static int outputChannelAxis(Node n) {
    return n.opType().equals("Conv") || (n.opType().equals("Gemm") && n.intAttr("transB", 0) == 1)
        ? 0
        : 1;
  }

  /** Returns absmax / 127 of every slice of {@code w} along {@code axis} (1 where a slice is all zero). */
  private static float[] perChannelScales(Tensor w, int axis) {
    long[] d = w.dims();
    int channels = (int) d[axis];
    int inner = 1;
    for (int i = axis + 1; i < d.length; i++) {
      inner *= (int) d[i];
    }
    float[] v = w.toFloats();
    float[] absMax = new float[channels];
    for (int i = 0; i < v.length; i++) {
      int c = (i / inner) % channels;
      absMax[c] = Math.max(absMax[c], Math.abs(v[i]));
    }
    float[] scales = new float[channels];
    for (int c = 0; c < channels; c++) {
      scales[c] = absMax[c] > 0 ? absMax[c] / 127f : 1f;
    }
    return scales;
  }

  /** Adds int8 QuantizeLinear/DequantizeLinear with one scale per output channel (zero point 0) on a weight. */
  private static String weightQdq(GraphBuilder b, String w, float[] scales, int axis) {
    String s = b.uniqueName(w + "_scale");
    String z = b.uniqueName(w + "_zero_point");
    b.addInitializer(Tensor.ofFloats(s, new long[] {scales.length}, scales));
    b.addInitializer(
        Tensor.ofBytes(z, DataType.INT8, new long[] {scales.length}, new byte[scales.length]));
    String q = b.uniqueName(w + "_quantized");
    String dq = b.uniqueName(w + "_dequantized");
    org.edgeopt.core.graph.Attribute a = org.edgeopt.core.graph.Attribute.of("axis", (long) axis);
    b.add("QuantizeLinear", b.uniqueName(w + "_QuantizeLinear"), List.of(w, s, z), List.of(q), a);
    b.add(
        "DequantizeLinear",
        b.uniqueName(w + "_DequantizeLinear"),
        List.of(q, s, z),
        List.of(dq),
        a);
    return dq;
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
  static Map<String, float[]> calibrate(Graph g, Dataset data, int samples)
      throws EdgeoptException {
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
    try (InferenceSession s =
        OrtRuntime.get()
            .open(
                b.build(),
                SessionOptions.defaults()
                    .withThreads(1)
                    .withOptimization(SessionOptions.Optimization.NONE))) {
      String input = s.inputNames().get(0);
      int bs = ModelFeeds.fixedBatch(s) > 0 ? ModelFeeds.fixedBatch(s) : 50;
      Iterator<Batch> it = data.batches(bs, samples);
      while (it.hasNext()) {
        Batch batch = it.next();
        Map<String, Tensor> out = s.run(Map.of(input, batch.input().withName(input)), fetch);
        for (String a : acts) {
          Tensor t = inputs.contains(a) ? batch.input() : out.get(a);
          float[] r =
              ranges.computeIfAbsent(a, k -> new float[] {Float.MAX_VALUE, -Float.MAX_VALUE});
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
      String back =
          b.add(
              "Cast",
              b.uniqueName(w.name() + "_Cast"),
              List.of(half),
              List.of(b.uniqueName(w.name() + "_fp32")),
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
      b.addNode(
          new Node(
              "renamed_" + i++, n.opType(), n.domain(), n.inputs(), n.outputs(), n.attributes()));
    }
    return b.build();
  }
}
