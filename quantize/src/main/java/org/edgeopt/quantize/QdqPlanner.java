package org.edgeopt.quantize;

import java.util.ArrayList;
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
          || Double.isNaN(QdqParams.clipMax(g, a))) {
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
    Map<String, QuantParams> params =
        new QdqParams(g, table, cfg, where).of(nodes, quantized, ordered, folded);
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

  /** Returns the folds whose shared parameters no longer clamp like the folded activation. */
  private Set<String> invalidFolds(Plan p) {
    Set<String> bad = new HashSet<>();
    DataType t = cfg.activationType();
    for (Map.Entry<String, Node> e : p.folded().entrySet()) {
      QuantParams q = p.params().get(e.getValue().output());
      double hi = QdqParams.clipMax(g, e.getValue());
      boolean floorIsZero = q != null && q.zeroPoint() == QuantParams.qmin(t);
      double top = q == null ? 0 : (double) q.scale() * (QuantParams.qmax(t) - q.zeroPoint());
      if (!floorIsZero || top > hi * (1 + 1e-5)) {
        bad.add(e.getKey());
      }
    }
    return bad;
  }
}
