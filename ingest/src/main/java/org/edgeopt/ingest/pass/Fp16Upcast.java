package org.edgeopt.ingest.pass;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.edgeopt.core.graph.Attribute;
import org.edgeopt.core.graph.DataType;
import org.edgeopt.core.graph.Graph;
import org.edgeopt.core.graph.GraphBuilder;
import org.edgeopt.core.graph.Node;
import org.edgeopt.core.graph.Tensor;
import org.edgeopt.core.graph.TensorType;
import org.edgeopt.core.graph.Value;

/**
 * Turns an FP16 model into an FP32 one, exactly: every half-precision value is representable in
 * single precision, so the weights do not change by a single bit of meaning.
 *
 * <p>Rewritten: FP16 initializers, graph input/output and intermediate value types, {@code Cast}
 * nodes to FP16 (now to FP32), {@code dtype} attributes naming FP16 and FP16 tensor attributes
 * (e.g. of {@code Constant} and {@code ConstantOfShape}).
 */
public final class Fp16Upcast implements GraphPass {

  @Override
  public String name() {
    return "fp16-upcast";
  }

  @Override
  public PassResult apply(Graph graph, String where) {
    GraphBuilder b = GraphCopies.withoutNodes(graph);
    int inits = 0;
    for (Tensor t : graph.initializers().values()) {
      if (t.dataType() == DataType.FLOAT16) {
        b.addInitializer(upcast(t));
        inits++;
      }
    }
    int[] io = {0};
    b.setInputs(upcast(graph.inputs(), io));
    b.setOutputs(upcast(graph.outputs(), io));
    for (Value v : graph.valueInfo().values()) {
      if (isFp16(v)) {
        b.putValueInfo(upcast(v));
      }
    }
    int nodes = 0;
    for (Node n : graph.nodes()) {
      Node u = upcast(n);
      b.addNode(u);
      if (u != n) {
        nodes++;
      }
    }
    if (inits + io[0] + nodes == 0) {
      return new PassResult(graph, false, name() + ": no FP16 tensors");
    }
    return new PassResult(
        b.build(),
        true,
        name()
            + ": converted "
            + inits
            + " FP16 initializers, "
            + io[0]
            + " graph inputs/outputs and "
            + nodes
            + " nodes to FP32 (exact)");
  }

  private static Tensor upcast(Tensor t) {
    return t.dataType() == DataType.FLOAT16 ? Tensor.ofFloats(t.name(), t.dims(), t.toFloats()) : t;
  }

  private static boolean isFp16(Value v) {
    return v.hasType() && v.type().dataType() == DataType.FLOAT16;
  }

  private static Value upcast(Value v) {
    return isFp16(v) ? new Value(v.name(), new TensorType(DataType.FLOAT, v.type().shape())) : v;
  }

  private static List<Value> upcast(List<Value> values, int[] count) {
    List<Value> out = new ArrayList<>(values.size());
    for (Value v : values) {
      if (isFp16(v)) {
        count[0]++;
      }
      out.add(upcast(v));
    }
    return out;
  }

  /** Returns the node with FP16 type attributes and tensors made FP32, or {@code n} itself. */
  private static Node upcast(Node n) {
    Map<String, Attribute> attrs = new LinkedHashMap<>(n.attributes());
    boolean changed = false;
    for (Map.Entry<String, Attribute> e : n.attributes().entrySet()) {
      Attribute a = e.getValue();
      String key = e.getKey();
      boolean typeAttr = key.equals("to") || key.equals("dtype");
      if (typeAttr && a.kind() == Attribute.Kind.INT && a.asLong() == DataType.FLOAT16.onnxCode()) {
        attrs.put(key, Attribute.of(key, (long) DataType.FLOAT.onnxCode()));
        changed = true;
      } else if (a.kind() == Attribute.Kind.TENSOR && a.asTensor().dataType() == DataType.FLOAT16) {
        attrs.put(key, Attribute.of(key, upcast(a.asTensor())));
        changed = true;
      }
    }
    return changed ? new Node(n.name(), n.opType(), n.domain(), n.inputs(), n.outputs(), attrs) : n;
  }
}
