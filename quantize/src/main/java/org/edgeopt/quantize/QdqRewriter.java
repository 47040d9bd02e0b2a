package org.edgeopt.quantize;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.edgeopt.core.EdgeoptException;
import org.edgeopt.core.graph.Attribute;
import org.edgeopt.core.graph.DataType;
import org.edgeopt.core.graph.Graph;
import org.edgeopt.core.graph.GraphBuilder;
import org.edgeopt.core.graph.Node;
import org.edgeopt.core.graph.Tensor;
import org.edgeopt.core.quant.QuantParams;

/**
 * Applies a {@link QdqPlanner.Plan} to a graph: a QuantizeLinear per quantized tensor and a
 * DequantizeLinear per reader, int8 weights and int32 biases behind DequantizeLinear nodes, and
 * the guard that keeps a float layer float in ONNX Runtime.
 *
 * <p>One instance rewrites one graph; it collects the new nodes and initializers and builds the
 * result once, in {@link #rewrite}.
 */
final class QdqRewriter {
  private final Graph g;
  private final QdqPlanner.Plan plan;
  private final QuantizeConfig cfg;
  private final String where;
  private final GraphBuilder names;
  private final List<Node> nodes;
  private final Map<String, Tensor> inits = new LinkedHashMap<>();
  private final List<Node> added = new ArrayList<>();
  private final Map<String, String> observed = new HashMap<>();
  private final Map<String, WeightQuantizer.QuantizedWeights> weightCache = new HashMap<>();
  private final Map<String, String[]> weightNames = new HashMap<>();
  private final Map<String, float[]> biasShifts;

  QdqRewriter(
      Graph g,
      QdqPlanner.Plan plan,
      QuantizeConfig cfg,
      String where,
      Map<String, float[]> biasShifts) {
    this.biasShifts = biasShifts;
    this.g = g;
    this.plan = plan;
    this.cfg = cfg;
    this.where = where;
    this.names = g.toBuilder();
    this.nodes = new ArrayList<>(plan.nodes());
  }

  private int indexOf(String nodeName) {
    for (int i = 0; i < nodes.size(); i++) {
      if (nodes.get(i).name().equals(nodeName)) {
        return i;
      }
    }
    throw new IllegalStateException("no node " + nodeName);
  }

  private void setInput(String nodeName, int slot, String value) {
    int i = indexOf(nodeName);
    List<String> in = new ArrayList<>(nodes.get(i).inputs());
    while (in.size() <= slot) {
      in.add("");
    }
    in.set(slot, value);
    nodes.set(i, nodes.get(i).withInputs(in));
  }

  private void addInit(Tensor t) {
    inits.put(t.name(), t);
  }

  private String[] scaleAndZeroPoint(String base, QuantParams p) {
    String s = names.uniqueName(base + "_scale");
    String z = names.uniqueName(base + "_zero_point");
    long[] dims = p.perChannel() ? new long[] {p.scales().length} : new long[0];
    addInit(Tensor.ofFloats(s, dims, p.scales()));
    long[] zps = p.zeroPoints();
    if (p.type() == DataType.INT32) {
      int[] zi = new int[zps.length];
      for (int i = 0; i < zi.length; i++) {
        zi[i] = (int) zps[i];
      }
      addInit(Tensor.ofInts(z, dims, zi));
    } else {
      byte[] zb = new byte[zps.length];
      for (int i = 0; i < zb.length; i++) {
        zb[i] = (byte) zps[i];
      }
      addInit(Tensor.ofBytes(z, p.type(), dims, zb));
    }
    return new String[] {s, z};
  }

  private String dequantize(String base, String quantized, String[] sz, int axis) {
    String out = names.uniqueName(base + "_dequantized");
    Attribute[] attrs =
        axis >= 0 ? new Attribute[] {Attribute.of("axis", (long) axis)} : new Attribute[0];
    added.add(
        Node.of(
            names.uniqueName(base + "_DequantizeLinear"),
            "DequantizeLinear",
            List.of(quantized, sz[0], sz[1]),
            List.of(out),
            attrs));
    return out;
  }

  QdqQuantizer.Result rewrite(QdqPlanner planner, List<String> changes) throws EdgeoptException {
    Map<String, List<Node>> consumers = new HashMap<>();
    for (Node n : nodes) {
      for (String in : n.inputs()) {
        if (!in.isEmpty()) {
          consumers.computeIfAbsent(in, k -> new ArrayList<>()).add(n);
        }
      }
    }
    for (String t : plan.tensors()) {
      quantizeActivation(t, consumers.getOrDefault(t, List.of()));
    }
    for (Node n : plan.nodes()) {
      QdqPlanner.Kind k = QdqPlanner.Kind.of(n);
      if ((k == QdqPlanner.Kind.CONV || k == QdqPlanner.Kind.GEMM)
          && !plan.quantized().contains(n.name())
          && plan.tensors().contains(n.input(0))) {
        guardFloatLayer(n);
      }
    }
    List<QdqQuantizer.Layer> layers = new ArrayList<>();
    for (Node n : plan.nodes()) {
      QdqPlanner.Kind k = planner.kind(n);
      Float wMin = null;
      Float wMax = null;
      if (plan.quantized().contains(n.name())) {
        switch (k) {
          case CONV, GEMM, MATMUL -> {
            float[] ws = quantizeWeights(n, k);
            if (ws != null) {
              wMin = min(ws);
              wMax = max(ws);
            }
          }
          case BINARY -> quantizeConstants(n);
          default -> {}
        }
      }
      if (!k.isLayer()) {
        continue;
      }
      boolean q = plan.quantized().contains(n.name());
      QuantParams out = q ? plan.params().get(n.output()) : null;
      Node folded = plan.folded().get(n.name());
      layers.add(
          new QdqQuantizer.Layer(
              n.name(),
              n.opType(),
              n.output(),
              planner.activationInputs(n, k),
              q,
              q ? "" : plan.floatReasons().getOrDefault(n.name(), "kept in float"),
              out == null ? null : out.scale(),
              out == null ? null : out.zeroPoint(),
              wMin,
              wMax,
              folded == null ? null : folded.name(),
              folded == null ? null : folded.opType()));
    }
    GraphBuilder b = new GraphBuilder(g.name(), g.opset()).info(g.info());
    g.inputs().forEach(b::addInput);
    g.outputs().forEach(b::addOutput);
    g.initializers().values().forEach(b::addInitializer);
    inits.values().forEach(b::addInitializer);
    g.valueInfo().values().forEach(b::putValueInfo);
    nodes.forEach(b::addNode);
    added.forEach(b::addNode);
    Graph result = b.removeUnused().build();
    return new QdqQuantizer.Result(result, g, layers, observed, changes);
  }

  private void quantizeActivation(String t, List<Node> readers) {
    QuantParams p = plan.params().get(t);
    String[] sz = scaleAndZeroPoint(t, p);
    String src = t;
    boolean isOutput = g.isOutput(t);
    boolean isInput = g.inputs().stream().anyMatch(v -> v.name().equals(t));
    if (isOutput && !isInput) {
      // The graph output keeps its name and float type: the layer writes a new name, and the
      // last DequantizeLinear writes the output.
      src = names.uniqueName(t + "_float");
      for (int i = 0; i < nodes.size(); i++) {
        Node n = nodes.get(i);
        int at = n.outputs().indexOf(t);
        if (at >= 0) {
          List<String> outs = new ArrayList<>(n.outputs());
          outs.set(at, src);
          nodes.set(i, n.withOutputs(outs));
        }
      }
    }
    String q = names.uniqueName(t + "_quantized");
    added.add(
        Node.of(
            names.uniqueName(t + "_QuantizeLinear"),
            "QuantizeLinear",
            List.of(src, sz[0], sz[1]),
            List.of(q)));
    String first = null;
    for (Node r : readers) {
      List<String> in = r.inputs();
      for (int slot = 0; slot < in.size(); slot++) {
        if (in.get(slot).equals(t)) {
          String dq = dequantize(t, q, sz, -1);
          setInput(r.name(), slot, dq);
          first = first == null ? dq : first;
        }
      }
    }
    if (isOutput && !isInput) {
      added.add(
          Node.of(
              names.uniqueName(t + "_DequantizeLinear"),
              "DequantizeLinear",
              List.of(q, sz[0], sz[1]),
              List.of(t)));
      first = t;
    }
    if (first != null) {
      observed.put(t, first);
    }
  }

  /**
   * Keeps a float Conv or Gemm float in ONNX Runtime. Its optimizer (WeightBiasQuantization,
   * 1.20 and later) quantizes the float weights of a Conv or Gemm per tensor when the layer
   * reads a DequantizeLinear and feeds a QuantizeLinear, which would undo {@code --exclude} and
   * fallback; an exact {@code Max(x, x)} between the DequantizeLinear and the layer stops that.
   */
  private void guardFloatLayer(Node n) {
    int i = indexOf(n.name());
    String dq = nodes.get(i).input(0);
    String guarded = names.uniqueName(n.input(0) + "_float_guard");
    added.add(
        Node.of(
            names.uniqueName(n.name() + "_keep_float"), "Max", List.of(dq, dq), List.of(guarded)));
    setInput(n.name(), 0, guarded);
  }

  /** Quantizes the weights (and bias) of a Conv, Gemm or MatMul; returns the weight scales, or null. */
  private float[] quantizeWeights(Node n, QdqPlanner.Kind k) throws EdgeoptException {
    Tensor w = g.initializers().get(n.input(1));
    if (w == null) {
      return null;
    }
    int axis = QdqQuantizer.weightAxis(n, k, cfg);
    int weightMax = cfg.weightQuantMax(k == QdqPlanner.Kind.CONV && QdqQuantizer.isDepthwise(n, w));
    String key = w.name() + "#" + axis + "#" + weightMax;
    WeightQuantizer.QuantizedWeights qw = weightCache.get(key);
    if (qw == null) {
      qw = QdqQuantizer.quantizeLayerWeights(n, w, cfg, where);
      weightCache.put(key, qw);
      String qName = names.uniqueName(w.name() + "_quantized");
      addInit(WeightQuantizer.int8Tensor(qName, w.dims(), qw.values()));
      String[] sz = scaleAndZeroPoint(w.name(), qw.params());
      weightNames.put(key, new String[] {qName, sz[0], sz[1]});
    }
    String[] wn = weightNames.get(key);
    setInput(n.name(), 1, dequantize(w.name(), wn[0], new String[] {wn[1], wn[2]}, axis));
    float[] ws = qw.params().scales();
    Tensor bias = n.input(2).isEmpty() ? null : g.initializers().get(n.input(2));
    float[] shift = biasShifts.get(n.name());
    if ((k == QdqPlanner.Kind.CONV || k == QdqPlanner.Kind.GEMM)
        && (bias != null || shift != null)
        && (bias != null || n.input(2).isEmpty())) {
      QuantParams in = plan.params().get(n.input(0));
      float[] b = bias != null ? bias.toFloats() : new float[shift.length];
      String biasName = bias != null ? bias.name() : names.uniqueName(n.name() + "_bias");
      if (k == QdqPlanner.Kind.GEMM) {
        if (bias != null) {
          // ONNX Runtime's QGemm takes the bias as is: fold beta into it.
          float beta = n.floatAttr("beta", 1f);
          for (int i = 0; i < b.length; i++) {
            b[i] *= beta;
          }
        }
        // State alpha and beta 1 (a new bias is added at beta 1, whatever beta said about the
        // absent one).
        int i = indexOf(n.name());
        nodes.set(
            i,
            nodes
                .get(i)
                .withAttribute(Attribute.of("beta", 1f))
                .withAttribute(Attribute.of("alpha", n.floatAttr("alpha", 1f))));
      }
      if (shift != null && shift.length == b.length) {
        // Bias correction: the mean output shift the weights' rounding adds, measured on FP32
        // inputs.
        for (int c = 0; c < b.length; c++) {
          b[c] -= shift[c];
        }
      }
      float[] scales = WeightQuantizer.biasScales(in.scale(), ws, b.length);
      int[] qb =
          WeightQuantizer.bias(b, scales, where + ": bias '" + biasName + "' of " + n.describe());
      String qName = names.uniqueName(biasName + "_quantized");
      addInit(Tensor.ofInts(qName, new long[] {b.length}, qb));
      QuantParams bp = new QuantParams(scales, new long[b.length], 0, DataType.INT32);
      String[] sz = scaleAndZeroPoint(biasName, bp);
      setInput(n.name(), 2, dequantize(biasName, qName, sz, 0));
    }
    return ws;
  }

  /** Quantizes the constant operands of an Add or Mul per tensor, like activations. */
  private void quantizeConstants(Node n) throws EdgeoptException {
    for (int slot = 0; slot < n.inputs().size(); slot++) {
      Tensor c = g.initializers().get(n.input(slot));
      if (c == null) {
        continue;
      }
      float[] v = c.toFloats();
      float lo = 0;
      float hi = 0;
      for (int i = 0; i < v.length; i++) {
        if (!Float.isFinite(v[i])) {
          throw EdgeoptException.invalid(
              where
                  + ": initializer '"
                  + c.name()
                  + "' of "
                  + n.describe()
                  + ": value "
                  + i
                  + " is "
                  + v[i]
                  + ", expected finite numbers");
        }
        lo = Math.min(lo, v[i]);
        hi = Math.max(hi, v[i]);
      }
      QuantParams p =
          cfg.symmetricActivations()
              ? QuantParams.symmetric(Math.max(-lo, hi), cfg.activationType())
              : QuantParams.asymmetric(lo, hi, cfg.activationType());
      byte[] q = new byte[v.length];
      for (int i = 0; i < v.length; i++) {
        q[i] = (byte) p.quantize(v[i], 0);
      }
      String qName = names.uniqueName(c.name() + "_quantized");
      addInit(Tensor.ofBytes(qName, cfg.activationType(), c.dims(), q));
      String[] sz = scaleAndZeroPoint(c.name(), p);
      setInput(n.name(), slot, dequantize(c.name(), qName, sz, -1));
    }
  }

  private static float min(float[] a) {
    float m = Float.POSITIVE_INFINITY;
    for (float f : a) {
      m = Math.min(m, f);
    }
    return m;
  }

  private static float max(float[] a) {
    float m = Float.NEGATIVE_INFINITY;
    for (float f : a) {
      m = Math.max(m, f);
    }
    return m;
  }
}
