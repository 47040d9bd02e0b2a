package org.edgeopt.quantize;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.edgeopt.core.EdgeoptException;
import org.edgeopt.core.graph.DataType;
import org.edgeopt.core.graph.Graph;
import org.edgeopt.core.graph.Node;
import org.edgeopt.core.graph.Tensor;
import org.edgeopt.core.graph.TensorType;
import org.edgeopt.core.onnx.OnnxModels;
import org.edgeopt.core.quant.CalibrationTable;
import org.edgeopt.core.quant.QuantParams;
import org.edgeopt.core.quant.TensorRange;

/**
 * Decides where QuantizeLinear/DequantizeLinear pairs go, following the patterns ONNX Runtime's
 * QDQ optimizer turns into integer kernels: DQ on every input and Q on the output of Conv,
 * MatMul/Gemm, Add/Mul, Concat and average pooling; ReLU and Clip(0, x) after a quantized
 * layer folded into that layer's output range (the zero point at the type's minimum clamps like
 * the ReLU did); MaxPool, Reshape, Flatten, Transpose, Squeeze and Unsqueeze between equal
 * scales, which ONNX Runtime then drops; Concat inputs sharing the output's scale. An average
 * pool read only by layers without an integer kernel (a classifier's pool -> Softmax) stays
 * float unless the target quantizes its outputs: its result would be dequantized at once, and
 * rounding the average to 8 bits undoes the resolution averaging gained.
 *
 * <p>With {@link QdqPlacement#FULLY_INT8} every float activation tensor an operator reads or
 * writes gets a pair as well (graph inputs, standalone ReLU/Clip, Softmax, Sub, Pad, Resize and
 * any other operator of the default domain), as a fully int8 converter needs: Pad, Resize and
 * AveragePool then keep their input's parameters like the other data-movement ops, Softmax
 * writes scale 1/256 at the type's lowest zero point (what TFLite's int8 SOFTMAX requires), and
 * the rest use their own calibrated ranges.
 */
final class QdqPlanner {
  /** What a node is to the quantizer. */
  enum Kind {
    CONV,
    GEMM,
    MATMUL,
    BINARY,
    CONCAT,
    POOL,
    PASS,
    ACT,
    SOFTMAX,
    OTHER;

    /** Returns the kind of a node under the default placement. */
    static Kind of(Node n) {
      if (!n.domain().isEmpty() && !n.domain().equals("ai.onnx")) {
        return OTHER;
      }
      return switch (n.opType()) {
        case "Conv" -> CONV;
        case "Gemm" -> GEMM;
        case "MatMul" -> MATMUL;
        case "Add", "Mul" -> BINARY;
        case "Concat" -> CONCAT;
        case "AveragePool", "GlobalAveragePool" -> POOL;
        case "MaxPool", "Reshape", "Flatten", "Transpose", "Squeeze", "Unsqueeze" -> PASS;
        case "Relu", "Clip" -> ACT;
        default -> OTHER;
      };
    }

    /**
     * Returns the kind of a node under {@code placement}: a fully int8 model also quantizes Sub
     * like Add, moves Pad and Resize like a Reshape, and fixes Softmax's output parameters.
     */
    static Kind of(Node n, QdqPlacement placement) {
      Kind k = of(n);
      boolean defaultDomain = n.domain().isEmpty() || n.domain().equals("ai.onnx");
      if (placement != QdqPlacement.FULLY_INT8 || k != OTHER || !defaultDomain) {
        return k;
      }
      return switch (n.opType()) {
        case "Sub" -> BINARY;
        case "Pad", "Resize" -> PASS;
        case "Softmax" -> SOFTMAX;
        default -> OTHER;
      };
    }

    /** Returns whether nodes of this kind are layers: reported, and candidates for fallback. */
    boolean isLayer() {
      return this == CONV
          || this == GEMM
          || this == MATMUL
          || this == BINARY
          || this == CONCAT
          || this == POOL;
    }
  }

  /**
   * The placement decided for one graph.
   *
   * @param nodes the nodes after folding activations, in order
   * @param quantized the names of the nodes that run quantized
   * @param tensors the activation tensors that get a Q/DQ pair, in first-seen order
   * @param params the quantization parameters of each of those tensors
   * @param folded the activation node folded into each layer, by layer name
   * @param floatReasons why each layer that stays float does, by layer name
   */
  record Plan(
      List<Node> nodes,
      Set<String> quantized,
      Set<String> tensors,
      Map<String, QuantParams> params,
      Map<String, Node> folded,
      Map<String, String> floatReasons) {}

  private final Graph g;
  private final CalibrationTable table;
  private final QuantizeConfig cfg;
  private final Map<String, String> floatNodes;
  private final String where;
  private final Map<String, TensorType> types;
  private final Map<String, Node> producers;
  private final boolean fullyInt8;

  /**
   * @param floatNodes nodes to keep in float, with the reason to report
   * @param where names the calibration table in errors
   */
  QdqPlanner(
      Graph g,
      CalibrationTable table,
      QuantizeConfig cfg,
      Map<String, String> floatNodes,
      String where) {
    this.g = g;
    this.table = table;
    this.cfg = cfg;
    this.floatNodes = floatNodes;
    this.where = where;
    this.types = OnnxModels.knownTypes(g);
    this.producers = g.producers();
    this.fullyInt8 = cfg.placement() == QdqPlacement.FULLY_INT8;
  }

  /** Returns what a node is to the quantizer under the configured placement. */
  Kind kind(Node n) {
    return Kind.of(n, cfg.placement());
  }

  /** Returns whether a node that is no layer runs quantized: only in a fully int8 model. */
  private boolean quantizedOutsideLayers(Kind k) {
    return fullyInt8 && (k == Kind.ACT || k == Kind.SOFTMAX || k == Kind.OTHER);
  }

  /** Plans the placement; activations whose fold turns out invalid are planned again unfolded. */
  Plan plan() throws EdgeoptException {
    Set<String> noFold = new HashSet<>();
    while (true) {
      Plan p = plan(noFold);
      Set<String> bad = invalidFolds(p);
      if (bad.isEmpty()) {
        return p;
      }
      noFold.addAll(bad);
    }
  }

  private Plan plan(Set<String> noFold) throws EdgeoptException {
    Map<String, String> reasons = new LinkedHashMap<>();
    Set<String> eligible = new HashSet<>();
    for (Node n : g.nodes()) {
      Kind k = kind(n);
      if ((k == Kind.ACT || k == Kind.SOFTMAX || k == Kind.OTHER) && !quantizedOutsideLayers(k)) {
        continue;
      }
      String why = ineligible(n, k);
      if (why == null) {
        eligible.add(n.name());
      } else if (k.isLayer()) {
        reasons.put(n.name(), why);
      }
    }
    // Fold ReLU/Clip(0, x) into the layer before it.
    Map<String, Node> folded = new LinkedHashMap<>();
    Map<String, List<Node>> consumers = g.consumers();
    for (Node a : g.nodes()) {
      if (kind(a) != Kind.ACT || floatNodes.containsKey(a.name()) || cfg.symmetricActivations()) {
        continue;
      }
      Node p = producers.get(a.input(0));
      if (p == null
          || !eligible.contains(p.name())
          || !kind(p).isLayer()
          || noFold.contains(p.name())
          || consumers.getOrDefault(a.input(0), List.of()).size() != 1
          || g.isOutput(a.input(0))
          || Double.isNaN(clipMax(a))) {
        continue;
      }
      folded.put(p.name(), a);
    }
    List<Node> nodes = new ArrayList<>();
    for (Node n : g.nodes()) {
      if (folded.values().stream().anyMatch(a -> a.name().equals(n.name()))) {
        continue;
      }
      Node a = folded.get(n.name());
      nodes.add(a == null ? n : n.withOutputs(List.of(a.output())));
    }
    // Which nodes run quantized, and which tensors get a Q/DQ pair.
    Set<String> quantized = new LinkedHashSet<>();
    Set<String> tensors = new LinkedHashSet<>();
    for (Node n : nodes) {
      Kind k = kind(n);
      if (!k.isLayer() || !eligible.contains(n.name())) {
        continue;
      }
      quantized.add(n.name());
      tensors.addAll(activationInputs(n, k));
      boolean outputQuantized =
          switch (k) {
            // ONNX Runtime keeps a last MatMul/Gemm's output float (one rounding less); a target
            // whose
            // outputs are integers quantizes it, so that the QDQ model computes what the device
            // does.
            case GEMM, MATMUL ->
                folded.containsKey(n.name()) || !g.isOutput(n.output()) || cfg.quantizeOutputs();
            default -> true;
          };
      if (outputQuantized) {
        tensors.add(n.output());
      }
    }
    for (Node n : nodes) {
      // A fully int8 model quantizes data movement whatever comes before it.
      if (kind(n) == Kind.PASS
          && eligible.contains(n.name())
          && (fullyInt8 || tensors.contains(n.input(0)))) {
        quantized.add(n.name());
        tensors.add(n.input(0));
        tensors.add(n.output());
      }
    }
    if (fullyInt8) {
      for (Node n : nodes) {
        Kind k = kind(n);
        if (!quantizedOutsideLayers(k) || !eligible.contains(n.name())) {
          continue;
        }
        quantized.add(n.name());
        tensors.addAll(activationInputs(n, k));
        for (String o : n.outputs()) {
          if (isFloatActivation(o) && (!g.isOutput(o) || cfg.quantizeOutputs())) {
            tensors.add(o);
          }
        }
      }
    }
    Set<String> ordered = new LinkedHashSet<>();
    g.inputs()
        .forEach(
            v -> {
              if (tensors.contains(v.name())) {
                ordered.add(v.name());
              }
            });
    for (Node n : nodes) {
      for (String o : n.outputs()) {
        if (tensors.contains(o)) {
          ordered.add(o);
        }
      }
    }
    Map<String, QuantParams> params = params(nodes, quantized, ordered, folded);
    return new Plan(nodes, quantized, ordered, params, folded, reasons);
  }

  /** Returns the activation (non-initializer) inputs of a layer that its integer kernel reads. */
  List<String> activationInputs(Node n, Kind k) {
    return switch (k) {
      case CONV, GEMM, POOL, PASS, ACT, SOFTMAX -> List.of(n.input(0));
      case MATMUL ->
          g.initializers().containsKey(n.input(1))
              ? List.of(n.input(0))
              : List.of(n.input(0), n.input(1));
      case BINARY, CONCAT ->
          n.inputs().stream()
              .filter(i -> !i.isEmpty() && !g.initializers().containsKey(i))
              .toList();
      case OTHER -> n.inputs().stream().filter(this::isFloatActivation).distinct().toList();
      default -> List.of();
    };
  }

  private boolean isFloatActivation(String name) {
    if (name.isEmpty() || g.initializers().containsKey(name)) {
      return false;
    }
    TensorType t = types.get(name);
    return t != null && t.dataType() == DataType.FLOAT;
  }

  private Tensor floatInit(String name) {
    Tensor t = name.isEmpty() ? null : g.initializers().get(name);
    return t != null && t.dataType() == DataType.FLOAT ? t : null;
  }

  /** Returns why a node cannot run quantized, or null when it can. */
  private String ineligible(Node n, Kind k) {
    String reason = floatNodes.get(n.name());
    if (reason != null) {
      return reason;
    }
    if (!n.domain().isEmpty() && !n.domain().equals("ai.onnx")) {
      return "operator of domain " + n.domain();
    }
    // A fully int8 model has no float layers to hand the pool to.
    String floatReader =
        k == Kind.POOL && !cfg.quantizeOutputs() && !fullyInt8 ? onlyFloatReader(n) : null;
    if (floatReader != null) {
      // Its integer output would be dequantized at once for the float layer, and rounding the
      // average to 8 bits throws away the resolution averaging gained: on SqueezeNet (pool ->
      // Softmax) that rounding was 40% of the INT8 model's margin noise (docs/benchmarks.md).
      return "average pool read only by float layer " + floatReader + ": output kept float";
    }
    switch (k) {
      case CONV -> {
        Tensor w = floatInit(n.input(1));
        if (!isFloatActivation(n.input(0))) {
          return "input is not a float32 activation";
        }
        if (w == null) {
          return "weights are not a float32 initializer";
        }
        Tensor b = floatInit(n.input(2));
        if (!n.input(2).isEmpty() && (b == null || b.elementCount() != w.dim(0))) {
          return "bias is not a float32 initializer of " + w.dim(0) + " values";
        }
      }
      case GEMM -> {
        Tensor w = floatInit(n.input(1));
        if (!isFloatActivation(n.input(0))) {
          return "input A is not a float32 activation";
        }
        if (w == null || w.rank() != 2) {
          return "weights B are not a rank-2 float32 initializer";
        }
        long outN = n.intAttr("transB", 0) != 0 ? w.dim(0) : w.dim(1);
        Tensor c = floatInit(n.input(2));
        if (!n.input(2).isEmpty()
            && (c == null
                || c.elementCount() != outN
                || (c.rank() == 2 && c.dim(0) != 1)
                || c.rank() > 2)) {
          return "bias C is not a float32 initializer of " + outN + " values";
        }
      }
      case MATMUL -> {
        Tensor w = floatInit(n.input(1));
        if (!isFloatActivation(n.input(0))) {
          return "input A is not a float32 activation";
        }
        if (!(w != null && w.rank() == 2) && !isFloatActivation(n.input(1))) {
          return "input B is neither a rank-2 float32 initializer nor a float32 activation";
        }
      }
      case BINARY -> {
        int acts = 0;
        for (String in : n.inputs()) {
          if (isFloatActivation(in)) {
            acts++;
          } else if (floatInit(in) == null) {
            return "input '" + in + "' is not float32";
          }
        }
        if (acts == 0) {
          return "both inputs are constants";
        }
      }
      case CONCAT, POOL, PASS, ACT, SOFTMAX -> {
        List<String> data = k == Kind.CONCAT ? n.inputs() : List.of(n.input(0));
        for (String in : data) {
          if (!isFloatActivation(in)) {
            return "input '" + in + "' is not a float32 activation";
          }
        }
      }
      case OTHER -> {
        if (!fullyInt8) {
          return "no integer kernel";
        }
        if (n.opType().equals("QuantizeLinear") || n.opType().equals("DequantizeLinear")) {
          return "already quantized";
        }
        // Only operators that compute on activations: a Constant or a Shape-derived value is no
        // activation of the device.
        if (n.inputs().stream().noneMatch(this::isFloatActivation)) {
          return "no float32 activation input";
        }
      }
      default -> {
        return "no integer kernel";
      }
    }
    return null;
  }

  /**
   * Returns the description of the first node without an integer kernel (e.g. Softmax) that reads
   * {@code n}'s output, when every reader is such a node or a shape-only node (Flatten, Reshape,
   * ...) read only by such nodes, and no tensor on the way is a graph output; else null.
   */
  private String onlyFloatReader(Node n) {
    List<Node> readers = g.consumers().getOrDefault(n.output(), List.of());
    if (readers.isEmpty() || g.isOutput(n.output())) {
      return null;
    }
    String first = null;
    for (Node r : readers) {
      String found =
          switch (Kind.of(r)) {
            case OTHER -> r.describe();
            case PASS -> onlyFloatReader(r);
            default -> null;
          };
      if (found == null) {
        return null;
      }
      first = first == null ? found : first;
    }
    return first;
  }

  /**
   * Returns the upper clamp of a ReLU (+infinity) or of a Clip whose lower bound is exactly 0,
   * or NaN when the node is not such a clamp.
   */
  private double clipMax(Node a) {
    if (a.opType().equals("Relu")) {
      return Double.POSITIVE_INFINITY;
    }
    Tensor lo = a.input(1).isEmpty() ? null : g.initializers().get(a.input(1));
    // Boxed on both branches: a float/Float conditional would unbox a missing attribute's null.
    Float min =
        lo != null && lo.elementCount() == 1
            ? Float.valueOf(lo.toFloats()[0])
            : a.attribute("min").map(at -> at.asFloat()).orElse(null);
    if (min == null || min != 0f) {
      return Double.NaN;
    }
    if (!a.input(2).isEmpty()) {
      Tensor hi = g.initializers().get(a.input(2));
      return hi != null && hi.elementCount() == 1 ? hi.toFloats()[0] : Double.NaN;
    }
    return a.attribute("max").map(at -> (double) at.asFloat()).orElse(Double.POSITIVE_INFINITY);
  }

  /** Returns the folds whose shared parameters no longer clamp like the folded activation. */
  private Set<String> invalidFolds(Plan p) {
    Set<String> bad = new HashSet<>();
    DataType t = cfg.activationType();
    for (Map.Entry<String, Node> e : p.folded().entrySet()) {
      QuantParams q = p.params().get(e.getValue().output());
      double hi = clipMax(e.getValue());
      boolean floorIsZero = q != null && q.zeroPoint() == QuantParams.qmin(t);
      double top = q == null ? 0 : (double) q.scale() * (QuantParams.qmax(t) - q.zeroPoint());
      if (!floorIsZero || top > hi * (1 + 1e-5)) {
        bad.add(e.getKey());
      }
    }
    return bad;
  }

  /** Computes the parameters of every quantized tensor; tensors that must share a scale share one. */
  private Map<String, QuantParams> params(
      List<Node> nodes, Set<String> quantized, Set<String> tensors, Map<String, Node> folded)
      throws EdgeoptException {
    Map<String, String> parent = new HashMap<>();
    Set<String> derived = new HashSet<>();
    Set<String> softmaxOutputs = new HashSet<>();
    Map<String, Node> needer = new HashMap<>();
    for (Node n : nodes) {
      for (String in : n.inputs()) {
        if (tensors.contains(in)) {
          needer.putIfAbsent(in, n);
        }
      }
      if (!quantized.contains(n.name())) {
        continue;
      }
      Kind k = kind(n);
      if (k == Kind.PASS || fullyInt8 && n.opType().equals("AveragePool")) {
        // TFLite's int8 pooling and data-movement kernels take equal input and output parameters.
        union(parent, n.input(0), n.output());
        derived.add(n.output());
      } else if (k == Kind.SOFTMAX && tensors.contains(n.output())) {
        softmaxOutputs.add(n.output());
        derived.add(n.output());
      } else if (k == Kind.CONCAT && tensors.contains(n.output())) {
        for (String in : n.inputs()) {
          union(parent, in, n.output());
        }
        derived.add(n.output());
      }
    }
    Map<String, float[]> groupRange = new LinkedHashMap<>();
    Map<String, Node> foldedByOutput = new HashMap<>();
    folded.values().forEach(a -> foldedByOutput.put(a.output(), a));
    for (String t : tensors) {
      if (derived.contains(t)) {
        continue;
      }
      float[] r = range(t, foldedByOutput.get(t), needer.get(t));
      groupRange.merge(
          find(parent, t), r, (a, b) -> new float[] {Math.min(a[0], b[0]), Math.max(a[1], b[1])});
    }
    Map<String, QuantParams> byGroup = new HashMap<>();
    for (Map.Entry<String, float[]> e : groupRange.entrySet()) {
      float[] r = e.getValue();
      byGroup.put(
          e.getKey(),
          cfg.symmetricActivations()
              ? QuantParams.symmetric(
                  Math.max(Math.abs(r[0]), Math.abs(r[1])), cfg.activationType())
              : QuantParams.asymmetric(r[0], r[1], cfg.activationType()));
    }
    for (String t : softmaxOutputs) {
      byGroup.put(find(parent, t), softmaxOutput(cfg));
    }
    for (Node n : nodes) {
      if (n.opType().equals("GlobalAveragePool")
          && quantized.contains(n.name())
          && tensors.contains(n.output())) {
        String in = find(parent, n.input(0));
        String out = find(parent, n.output());
        if (byGroup.containsKey(in) && byGroup.containsKey(out)) {
          byGroup.put(out, meanOutput(byGroup.get(in), byGroup.get(out)));
        }
      }
    }
    Map<String, QuantParams> params = new LinkedHashMap<>();
    for (String t : tensors) {
      QuantParams p = byGroup.get(find(parent, t));
      if (p == null) {
        throw new IllegalStateException(
            "tensor '" + t + "' shares a scale with no calibrated tensor");
      }
      params.put(t, p);
    }
    return params;
  }

  /**
   * Returns the parameters of a Softmax output in a fully int8 model: scale 1/256 from the type's
   * lowest value (zero point -128 for int8), which covers [0, 1) and is the only output
   * quantization TFLite's int8 SOFTMAX takes; symmetric activations get scale 1/128, zero point 0.
   */
  static QuantParams softmaxOutput(QuantizeConfig cfg) {
    DataType t = cfg.activationType();
    return cfg.symmetricActivations()
        ? new QuantParams(new float[] {1f / 128f}, new long[] {0}, -1, t)
        : new QuantParams(new float[] {1f / 256f}, new long[] {QuantParams.qmin(t)}, -1, t);
  }

  /**
   * Returns the output parameters of a global average pool, adjusted so that its input zero
   * point is a whole number of output steps ({@code zpIn * sIn / sOut} an integer).
   *
   * <p>Integer kernels of the mean (TFLite's MEAN, which the Edge TPU compiler takes) fold the
   * input zero point into the output as {@code round(zpIn * sIn / sOut)}; when that product is
   * not whole, every output moves up to half a step the same way, a bias the next layer sums
   * over all channels (on the Fashion-MNIST sample it flipped the top-1 class of 0.5% of images
   * against the QDQ model). The scale only grows, so nothing clips; when growing it by at most
   * 2% cannot make the product whole, the output shares the input's parameters, which always
   * cover the mean of its values.
   */
  static QuantParams meanOutput(QuantParams in, QuantParams out) {
    long zpIn = in.zeroPoint();
    double ratio = (double) in.scale() / out.scale();
    if (zpIn == 0 || Math.abs(zpIn * ratio - Math.rint(zpIn * ratio)) < 1e-4) {
      return out;
    }
    long whole = (long) Math.floor(Math.abs(zpIn) * ratio + 1e-9);
    if (whole < 1 || Math.abs(zpIn) * ratio / whole > 1.02) {
      return in;
    }
    float scale = (float) (in.scale() * (double) Math.abs(zpIn) / whole);
    double lo = out.dequantize(QuantParams.qmin(out.type()), 0);
    long zp = Math.round(QuantParams.qmin(out.type()) - lo / scale);
    zp = Math.max(QuantParams.qmin(out.type()), Math.min(QuantParams.qmax(out.type()), zp));
    return new QuantParams(new float[] {scale}, new long[] {zp}, -1, out.type());
  }

  /** Returns the calibrated [min, max] of a tensor; a folded activation's range may come from its input. */
  private float[] range(String t, Node foldedActivation, Node needer) throws EdgeoptException {
    TensorRange r = table.range(t);
    String name = t;
    if (r == null && foldedActivation != null && table.range(foldedActivation.input(0)) != null) {
      // The table knows the layer's output before the ReLU: the ReLU's range is that range clamped.
      name = foldedActivation.input(0);
      TensorRange pre = table.range(name);
      double hi = clipMax(foldedActivation);
      r =
          new TensorRange(
              Math.max(pre.min(), 0f),
              (float) Math.min(pre.max(), hi),
              pre.observedMin(),
              pre.observedMax(),
              pre.method(),
              pre.samples(),
              pre.histogramBins());
    }
    if (r == null) {
      Node p = producers.get(t);
      String role = p == null ? "graph input" : "output of " + p.describe();
      throw EdgeoptException.invalid(
          where
              + ": no range for tensor '"
              + t
              + "' ("
              + role
              + (needer == null ? "" : ", read by " + needer.describe())
              + "); expected a table calibrated on this model");
    }
    if (!Float.isFinite(r.min()) || !Float.isFinite(r.max()) || r.min() > r.max()) {
      throw EdgeoptException.invalid(
          where
              + ": tensor '"
              + name
              + "' has range ["
              + r.min()
              + ", "
              + r.max()
              + "]: expected finite numbers with min <= max");
    }
    return new float[] {r.min(), r.max()};
  }

  private static String find(Map<String, String> parent, String x) {
    String r = x;
    while (parent.containsKey(r)) {
      r = parent.get(r);
    }
    return r;
  }

  private static void union(Map<String, String> parent, String a, String b) {
    String ra = find(parent, a);
    String rb = find(parent, b);
    if (!ra.equals(rb)) {
      parent.put(rb, ra);
    }
  }
}
