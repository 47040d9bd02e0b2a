package org.edgeopt.quantize;

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
import org.edgeopt.core.graph.TensorType;
import org.edgeopt.core.graph.Value;
import org.edgeopt.core.onnx.OnnxChecker;
import org.edgeopt.core.onnx.OnnxModels;

/**
 * Converts an FP32 graph to half precision: float32 weights become float16 initializers and
 * every float32 activation becomes float16, with {@code Cast} nodes wherever a float32 and a
 * float16 part meet — at the graph boundary when the inputs and outputs stay float32, and
 * around nodes kept in float32.
 *
 * <p>Operators that ONNX Runtime has no float16 CPU kernel for still run: its optimizer puts
 * casts around them. Inputs that ONNX requires to be float32 whatever the data type (the scales
 * and regions of interest of {@code Resize}/{@code Upsample}) stay float32.
 */
public final class Fp16Converter {
  private static final Map<String, Set<Integer>> FLOAT32_SLOTS =
      Map.of(
          "Resize", Set.of(1, 2),
          "Upsample", Set.of(1));

  private Fp16Converter() {}

  /**
   * Returns {@code g} in float16.
   *
   * @param keepIoFloat32 keep float32 graph inputs and outputs, casting at the boundary
   * @param floatNodes names of nodes to keep in float32
   * @param where names the model in errors
   */
  public static Graph convert(Graph g, boolean keepIoFloat32, Set<String> floatNodes, String where)
      throws EdgeoptException {
    Graph typed = OnnxChecker.inferShapes(g, where);
    for (String n : floatNodes) {
      if (typed.node(n).isEmpty()) {
        throw EdgeoptException.invalid(
            where
                + ": cannot keep node '"
                + n
                + "' in float32: the model has no node of"
                + " that name");
      }
    }
    Rewrite r = new Rewrite(typed, homes(typed, keepIoFloat32, floatNodes));
    List<Node> nodes = new ArrayList<>();
    for (Node n : typed.nodes()) {
      nodes.add(r.convert(n, !floatNodes.contains(n.name())));
    }
    r.dropReplacedWeights(nodes);
    List<Value> inputs = new ArrayList<>();
    for (Value v : typed.inputs()) {
      inputs.add(r.isHalf(v.name()) ? retype(v, DataType.FLOAT16) : v);
    }
    List<Value> outputs = new ArrayList<>();
    for (Value v : typed.outputs()) {
      outputs.add(r.output(v, nodes, keepIoFloat32));
    }
    GraphBuilder b = new GraphBuilder(typed.name(), typed.opset()).info(typed.info());
    inputs.forEach(b::addInput);
    outputs.forEach(b::addOutput);
    r.initializers.values().forEach(b::addInitializer);
    nodes.forEach(b::addNode);
    r.added.forEach(b::addNode);
    // Value types changed everywhere: let shape inference state them again.
    return OnnxChecker.inferShapes(b.removeUnused().build(), where);
  }

  /**
   * Returns where each float32 activation lives, true for float16: graph inputs as {@code
   * keepIoFloat32} says, node outputs in float16 unless the node is kept in float32.
   */
  private static Map<String, Boolean> homes(
      Graph typed, boolean keepIoFloat32, Set<String> floatNodes) {
    Map<String, TensorType> types = OnnxModels.knownTypes(typed);
    Map<String, Boolean> home = new HashMap<>();
    for (Value v : typed.inputs()) {
      if (isFloat(types, v.name())) {
        home.put(v.name(), !keepIoFloat32);
      }
    }
    for (Node n : typed.nodes()) {
      for (String o : n.outputs()) {
        if (isFloat(types, o)) {
          home.put(o, !floatNodes.contains(n.name()));
        }
      }
    }
    return home;
  }

  /**
   * The state of one conversion: the float16 copies of weights and the casts made so far (each
   * made once and shared by every reader), and the names taken.
   */
  private static final class Rewrite {
    private final Graph typed;
    private final Map<String, Boolean> home;
    private final GraphBuilder names;
    private final Set<String> inputNames = new HashSet<>();
    final Map<String, Tensor> initializers;
    private final Map<String, String> halfInit = new HashMap<>();
    private final Map<String, String> casts = new HashMap<>();
    final List<Node> added = new ArrayList<>();

    Rewrite(Graph typed, Map<String, Boolean> home) {
      this.typed = typed;
      this.home = home;
      this.names = typed.toBuilder();
      this.initializers = new LinkedHashMap<>(typed.initializers());
      typed.inputs().forEach(v -> inputNames.add(v.name()));
    }

    boolean isHalf(String value) {
      return Boolean.TRUE.equals(home.get(value));
    }

    /** Returns {@code n} reading float16 (when {@code half}) or float32 inputs, casting where the input lives in the other. */
    Node convert(Node n, boolean half) {
      List<String> in = new ArrayList<>(n.inputs());
      for (int slot = 0; slot < in.size(); slot++) {
        String v = in.get(slot);
        boolean wantHalf = half && !FLOAT32_SLOTS.getOrDefault(n.opType(), Set.of()).contains(slot);
        Tensor t = v.isEmpty() ? null : typed.initializers().get(v);
        if (t != null) {
          if (t.dataType() == DataType.FLOAT && wantHalf) {
            in.set(slot, halfInitializer(v, t));
          }
          continue;
        }
        Boolean h = home.get(v);
        if (h != null && h != wantHalf) {
          in.set(slot, cast(v, wantHalf));
        }
      }
      Node converted = n.withInputs(in);
      return half ? halfAttributes(converted) : converted;
    }

    private String halfInitializer(String v, Tensor t) {
      return halfInit.computeIfAbsent(
          v,
          k -> {
            String name = names.uniqueName(k + "_fp16");
            initializers.put(name, Tensor.ofFloat16(name, t.dims(), t.toFloats()));
            return name;
          });
    }

    private String cast(String v, boolean toHalf) {
      return casts.computeIfAbsent(
          v + (toHalf ? "#16" : "#32"),
          k -> {
            String out = names.uniqueName(v + (toHalf ? "_fp16" : "_fp32"));
            added.add(
                Node.of(
                    names.uniqueName(v + "_Cast"),
                    "Cast",
                    List.of(v),
                    List.of(out),
                    Attribute.of(
                        "to", (long) (toHalf ? DataType.FLOAT16 : DataType.FLOAT).onnxCode())));
            return out;
          });
    }

    /** Float32 weights that only float16 consumers read are replaced, not kept twice. */
    void dropReplacedWeights(List<Node> nodes) {
      Set<String> stillRead = new HashSet<>();
      nodes.forEach(n -> stillRead.addAll(n.inputs()));
      added.forEach(n -> stillRead.addAll(n.inputs()));
      initializers
          .keySet()
          .removeIf(k -> !stillRead.contains(k) && typed.initializers().containsKey(k));
    }

    /**
     * Returns graph output {@code v} as the converted graph declares it: float16 when it lives in
     * float16 and the outputs need not stay float32; else as it was, cast back from float16
     * under its own name when its producer now writes float16.
     */
    Value output(Value v, List<Node> nodes, boolean keepIoFloat32) {
      Boolean h = home.get(v.name());
      if (h == null || !h || inputNames.contains(v.name())) {
        return v;
      }
      if (!keepIoFloat32) {
        return retype(v, DataType.FLOAT16);
      }
      // The producer writes a float16 tensor under a new name; a Cast writes the float32 output.
      String half = names.uniqueName(v.name() + "_fp16");
      rename(nodes, v.name(), half);
      rename(added, v.name(), half);
      added.add(
          Node.of(
              names.uniqueName(v.name() + "_Cast"),
              "Cast",
              List.of(half),
              List.of(v.name()),
              Attribute.of("to", (long) DataType.FLOAT.onnxCode())));
      return v;
    }
  }

  private static boolean isFloat(Map<String, TensorType> types, String name) {
    TensorType t = types.get(name);
    return t != null && t.dataType() == DataType.FLOAT;
  }

  private static Value retype(Value v, DataType t) {
    return v.hasType() ? new Value(v.name(), new TensorType(t, v.type().shape())) : v;
  }

  private static void rename(List<Node> nodes, String from, String to) {
    for (int i = 0; i < nodes.size(); i++) {
      Node n = nodes.get(i);
      if (n.outputs().contains(from)) {
        List<String> o = new ArrayList<>(n.outputs());
        o.replaceAll(s -> s.equals(from) ? to : s);
        nodes.set(i, n.withOutputs(o));
      }
      if (n.inputs().contains(from)) {
        List<String> in = new ArrayList<>(n.inputs());
        in.replaceAll(s -> s.equals(from) ? to : s);
        nodes.set(i, nodes.get(i).withInputs(in));
      }
    }
  }

  /** Rewrites the attributes that name float32 as a result type or hold float32 constants. */
  private static Node halfAttributes(Node n) {
    switch (n.opType()) {
      case "Cast" -> {
        if (n.intAttr("to", 0) == DataType.FLOAT.onnxCode()) {
          return n.withAttribute(Attribute.of("to", (long) DataType.FLOAT16.onnxCode()));
        }
      }
      case "Constant", "ConstantOfShape" -> {
        Attribute scalar = n.attributes().get("value_float");
        if (scalar != null) {
          Map<String, Attribute> m = new java.util.LinkedHashMap<>(n.attributes());
          m.remove("value_float");
          m.put(
              "value",
              Attribute.of(
                  "value", Tensor.ofFloat16("value", new long[0], new float[] {scalar.asFloat()})));
          return new Node(n.name(), n.opType(), n.domain(), n.inputs(), n.outputs(), m);
        }
        Attribute a = n.attributes().get("value");
        if (a != null
            && a.kind() == Attribute.Kind.TENSOR
            && a.asTensor().dataType() == DataType.FLOAT) {
          Tensor t = a.asTensor();
          return n.withAttribute(
              Attribute.of("value", Tensor.ofFloat16(t.name(), t.dims(), t.toFloats())));
        }
      }
      default -> {}
    }
    return n;
  }
}
