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
import org.edgeopt.core.graph.TensorType;
import org.edgeopt.core.graph.Value;
import org.edgeopt.core.quant.CalibrationTable;
import org.edgeopt.core.quant.QuantParams;

/**
 * Static INT8 quantization in QDQ form: every quantized tensor gets a {@code QuantizeLinear}
 * and one {@code DequantizeLinear} per consumer, weights become int8 initializers (symmetric,
 * one scale per output channel, zero point 0) behind a {@code DequantizeLinear}, and biases
 * int32 initializers with scale {@code input scale x weight scale}.
 *
 * <p>The placement ({@link QdqPlanner}) follows the patterns ONNX Runtime fuses into
 * QLinearConv, QLinearMatMul, QGemm, QLinearAdd, QLinearConcat and QLinearGlobalAveragePool.
 * The graph is first brought to opset 13 or later and simplified by {@link GraphPreparer}.
 */
public final class QdqQuantizer {
  private QdqQuantizer() {}

  /**
   * One layer of the quantized graph, as decided.
   *
   * @param node the node name
   * @param opType the operator
   * @param output the tensor the layer writes (after a folded activation, that activation's output)
   * @param inputs the activation tensors the layer reads
   * @param quantized whether the layer runs quantized
   * @param reason why it stays float; empty when quantized
   * @param scale the scale of its quantized output, or null
   * @param zeroPoint the zero point of its quantized output, or null
   * @param weightScaleMin the smallest per-channel weight scale, or null
   * @param weightScaleMax the largest per-channel weight scale, or null
   * @param foldedActivation the ReLU/Clip node folded into its output range, or null
   * @param foldedActivationOp that node's operator ({@code Relu} or {@code Clip}), or null
   */
  public record Layer(
      String node,
      String opType,
      String output,
      List<String> inputs,
      boolean quantized,
      String reason,
      Float scale,
      Long zeroPoint,
      Float weightScaleMin,
      Float weightScaleMax,
      String foldedActivation,
      String foldedActivationOp) {
    public Layer {
      inputs = List.copyOf(inputs);
    }
  }

  /**
   * The result of quantizing a graph.
   *
   * @param graph the QDQ graph
   * @param reference the prepared FP32 graph it was made from (same tensor names)
   * @param layers every layer, in graph order
   * @param observed for each quantized tensor of the reference, the tensor of {@code graph} that
   *     holds its dequantized value (tensors not listed keep their name)
   * @param changes what preparation rewrote
   */
  public record Result(
      Graph graph,
      Graph reference,
      List<Layer> layers,
      Map<String, String> observed,
      List<String> changes) {
    public Result {
      layers = List.copyOf(layers);
      observed = Map.copyOf(observed);
      changes = List.copyOf(changes);
    }

    /** Returns the name under which {@code graph} holds the (dequantized) value of a reference tensor. */
    public String observedName(String referenceTensor) {
      return observed.getOrDefault(referenceTensor, referenceTensor);
    }
  }

  /**
   * Quantizes an FP32 graph with the ranges of {@code table}, keeping {@code config.exclude()} in float.
   *
   * @param where names the model in errors
   * @param tableWhere names the calibration table in errors
   */
  public static Result quantize(
      Graph fp32, CalibrationTable table, QuantizeConfig config, String where, String tableWhere)
      throws EdgeoptException {
    GraphPreparer.Prepared p = GraphPreparer.prepare(fp32, where);
    Map<String, String> floatNodes = new LinkedHashMap<>();
    config.exclude().forEach(n -> floatNodes.put(n, "excluded (--exclude)"));
    return quantizePrepared(p, table, config, floatNodes, where, tableWhere);
  }

  /**
   * Quantizes an already prepared graph, keeping {@code floatNodes} in float with the given reasons.
   */
  public static Result quantizePrepared(
      GraphPreparer.Prepared prepared,
      CalibrationTable table,
      QuantizeConfig config,
      Map<String, String> floatNodes,
      String where,
      String tableWhere)
      throws EdgeoptException {
    Graph g = prepared.graph();
    for (String n : floatNodes.keySet()) {
      if (g.node(n).isEmpty()) {
        throw EdgeoptException.invalid(
            where
                + ": cannot keep node '"
                + n
                + "' in float: the model has no node of"
                + " that name"
                + suggestion(g, n));
      }
    }
    QdqPlanner planner = new QdqPlanner(g, table, config, floatNodes, tableWhere);
    QdqPlanner.Plan plan = planner.plan();
    return new Rewriter(g, plan, config, where, prepared.biasShifts())
        .rewrite(planner, prepared.changes());
  }

  private static String suggestion(Graph g, String wanted) {
    List<String> names =
        g.nodes().stream()
            .map(Node::name)
            .filter(
                n ->
                    n.toLowerCase(java.util.Locale.ROOT)
                            .contains(wanted.toLowerCase(java.util.Locale.ROOT))
                        || wanted
                            .toLowerCase(java.util.Locale.ROOT)
                            .contains(n.toLowerCase(java.util.Locale.ROOT)))
            .limit(3)
            .toList();
    return names.isEmpty()
        ? " (see the layer table for node names)"
        : " (did you mean " + String.join(", ", names) + "?)";
  }

  /** Applies a plan to a graph. */
  private static final class Rewriter {
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

    Rewriter(
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

    Result rewrite(QdqPlanner planner, List<String> changes) throws EdgeoptException {
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
      List<Layer> layers = new ArrayList<>();
      for (Node n : plan.nodes()) {
        QdqPlanner.Kind k = QdqPlanner.Kind.of(n);
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
            new Layer(
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
      return new Result(result, g, layers, observed, changes);
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
              names.uniqueName(n.name() + "_keep_float"),
              "Max",
              List.of(dq, dq),
              List.of(guarded)));
      setInput(n.name(), 0, guarded);
    }

    /** Quantizes the weights (and bias) of a Conv, Gemm or MatMul; returns the weight scales, or null. */
    private float[] quantizeWeights(Node n, QdqPlanner.Kind k) throws EdgeoptException {
      Tensor w = g.initializers().get(n.input(1));
      if (w == null) {
        return null;
      }
      int axis = weightAxis(n, k, cfg);
      int weightMax = cfg.weightQuantMax(k == QdqPlanner.Kind.CONV && isDepthwise(n, w));
      String key = w.name() + "#" + axis + "#" + weightMax;
      WeightQuantizer.QuantizedWeights qw = weightCache.get(key);
      if (qw == null) {
        qw = quantizeLayerWeights(n, w, cfg, where);
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
        if (k == QdqPlanner.Kind.GEMM && bias == null) {
          // A new bias is added at beta 1, whatever beta said about the absent one.
          int i = indexOf(n.name());
          nodes.set(
              i,
              nodes
                  .get(i)
                  .withAttribute(Attribute.of("beta", 1f))
                  .withAttribute(Attribute.of("alpha", n.floatAttr("alpha", 1f))));
        } else if (k == QdqPlanner.Kind.GEMM) {
          // ONNX Runtime's QGemm takes the bias as is: fold beta into it and state alpha and beta.
          float beta = n.floatAttr("beta", 1f);
          for (int i = 0; i < b.length; i++) {
            b[i] *= beta;
          }
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

  /**
   * Returns whether a Conv is depthwise as ONNX Runtime's kernels see it: one input and one
   * output channel per group. Those kernels widen to int16 before multiplying, so no pair sum
   * saturates and the profile may give them the full weight range.
   */
  static boolean isDepthwise(Node conv, Tensor w) {
    long group = conv.intAttr("group", 1);
    long[] d = w.dims();
    return group > 1 && d.length >= 2 && d[1] == 1 && d[0] == group;
  }

  /** Returns the axis a layer's weights get one scale per index of, or -1 for one scale per tensor. */
  static int weightAxis(Node n, QdqPlanner.Kind k, QuantizeConfig cfg) {
    return cfg.perTensorWeightOps().contains(n.opType())
        ? -1
        : switch (k) {
          case CONV -> 0;
          case GEMM -> n.intAttr("transB", 0) != 0 ? 0 : 1;
          default -> 1;
        };
  }

  /**
   * Quantizes the weights {@code w} of a Conv, Gemm or MatMul exactly as the quantized graph
   * will hold them, so that passes measuring the weight error (bias correction) see the same integers.
   */
  static WeightQuantizer.QuantizedWeights quantizeLayerWeights(
      Node n, Tensor w, QuantizeConfig cfg, String where) throws EdgeoptException {
    QdqPlanner.Kind k = QdqPlanner.Kind.of(n);
    int axis = weightAxis(n, k, cfg);
    int weightMax = cfg.weightQuantMax(k == QdqPlanner.Kind.CONV && isDepthwise(n, w));
    String what = where + ": initializer '" + w.name() + "' of " + n.describe();
    return axis < 0
        ? WeightQuantizer.perTensor(w.toFloats(), weightMax, what)
        : WeightQuantizer.perChannel(w.toFloats(), w.dims(), axis, weightMax, what);
  }

  /** Returns the value type used when a tensor is exposed as an extra graph output. */
  static Value floatOutput(String name) {
    return new Value(name, new TensorType(DataType.FLOAT, null));
  }
}
