package org.edgeopt.planners.split;

import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.edgeopt.core.graph.Attribute;
import org.edgeopt.core.graph.DataType;
import org.edgeopt.core.graph.Graph;
import org.edgeopt.core.graph.GraphBuilder;
import org.edgeopt.core.graph.Node;
import org.edgeopt.core.graph.Tensor;
import org.edgeopt.core.graph.TensorType;
import org.edgeopt.core.graph.Value;
import org.edgeopt.core.quant.QuantParams;

/**
 * Extracts the edge part and the server part of a graph at a cut, with the cut tensors converted
 * to the wire format at the end of the edge part and back to float at the start of the server part.
 *
 * <p>On the wire a tensor is named {@code <tensor>} for FP32 and {@code <tensor>.wire} otherwise;
 * tensors that are graph inputs are sent by the device itself, converted the same way
 * ({@link WireCodec#toWire}), so the server part takes every cut tensor in the wire format.
 */
public final class GraphSplitter {
  /** The suffix of a cut tensor's name on the wire when it is not FP32. */
  public static final String WIRE_SUFFIX = ".wire";

  private GraphSplitter() {}

  /** Returns the name a cut tensor has on the wire. */
  public static String wireName(String tensor, WireFormat format) {
    return format == WireFormat.FP32 ? tensor : tensor + WIRE_SUFFIX;
  }

  /**
   * Returns the edge part: the cut's edge nodes (with the constant nodes they read), taking the
   * graph inputs they read and returning the cut tensors they produce (in wire form) and any model
   * output they produce.
   *
   * @param int8 the int8 parameters by cut tensor, used when {@code format} is INT8
   */
  public static Graph edgePart(Graph g, Cut cut, WireFormat format, Map<String, QuantParams> int8) {
    List<Node> nodes = CutEnumerator.edgeNodes(g, cut);
    GraphBuilder b = new GraphBuilder(g.name() + "_edge", g.opset()).info(g.info());
    Set<String> read = CutEnumerator.externalInputs(nodes);
    for (Value v : g.inputs()) {
      if (read.contains(v.name()) && !g.initializers().containsKey(v.name())) {
        b.addInput(v);
      }
    }
    addWeights(g, b, read);
    Set<String> produced = new HashSet<>();
    for (Node n : nodes) {
      b.addNode(n);
      produced.addAll(n.outputs());
    }
    for (String t : cut.tensors()) {
      if (produced.contains(t)) {
        b.addOutput(new Value(wireName(t, format), wireType(g, t, format)));
        addEncoder(b, t, format, int8.get(t));
      }
    }
    for (Value o : g.outputs()) {
      // An output also sent in FP32 is already returned under its own name.
      if (produced.contains(o.name())
          && b.outputs().stream().noneMatch(v -> v.name().equals(o.name()))) {
        b.addOutput(o);
      }
    }
    keepValueInfo(g, b, produced);
    return b.build();
  }

  /**
   * Returns the server part: the other compute nodes (with the constant nodes they read), taking
   * every cut tensor in wire form (model inputs the server reads among them) and returning the
   * model outputs they produce.
   */
  public static Graph serverPart(
      Graph g, Cut cut, WireFormat format, Map<String, QuantParams> int8) {
    List<Node> nodes = CutEnumerator.serverNodes(g, cut);
    GraphBuilder b = new GraphBuilder(g.name() + "_server", g.opset()).info(g.info());
    for (String t : cut.tensors()) {
      b.addInput(new Value(wireName(t, format), wireType(g, t, format)));
      addDecoder(b, t, format, int8.get(t));
    }
    Set<String> read = CutEnumerator.externalInputs(nodes);
    addWeights(g, b, read);
    Set<String> produced = new HashSet<>();
    for (Node n : nodes) {
      b.addNode(n);
      produced.addAll(n.outputs());
    }
    for (Value o : g.outputs()) {
      if (produced.contains(o.name())) {
        b.addOutput(o);
      }
    }
    keepValueInfo(g, b, produced);
    return b.build();
  }

  private static void addWeights(Graph g, GraphBuilder b, Set<String> read) {
    for (Tensor t : g.initializers().values()) {
      if (read.contains(t.name())) {
        b.addInitializer(t);
      }
    }
  }

  private static void keepValueInfo(Graph g, GraphBuilder b, Set<String> produced) {
    for (Value v : g.valueInfo().values()) {
      if (produced.contains(v.name())
          && b.outputs().stream().noneMatch(o -> o.name().equals(v.name()))) {
        b.putValueInfo(v);
      }
    }
  }

  private static TensorType wireType(Graph g, String tensor, WireFormat format) {
    TensorType t = g.type(tensor).orElse(null);
    if (t == null) {
      return null;
    }
    return format == WireFormat.FP32 ? t : new TensorType(format.dataType(), t.shape());
  }

  private static void addEncoder(GraphBuilder b, String t, WireFormat format, QuantParams q) {
    String wire = wireName(t, format);
    switch (format) {
      case FP32 -> {}
      case FP16 ->
          b.addNode(
              Node.of(
                  b.uniqueName(t + "_to_fp16"),
                  "Cast",
                  List.of(t),
                  List.of(wire),
                  Attribute.of("to", (long) DataType.FLOAT16.onnxCode())));
      case INT8 -> {
        String[] sz = scaleAndZeroPoint(b, t, q);
        b.addNode(
            Node.of(
                b.uniqueName(t + "_quantize"),
                "QuantizeLinear",
                List.of(t, sz[0], sz[1]),
                List.of(wire)));
      }
    }
  }

  private static void addDecoder(GraphBuilder b, String t, WireFormat format, QuantParams q) {
    String wire = wireName(t, format);
    switch (format) {
      case FP32 -> {}
      case FP16 ->
          b.addNode(
              Node.of(
                  b.uniqueName(t + "_from_fp16"),
                  "Cast",
                  List.of(wire),
                  List.of(t),
                  Attribute.of("to", (long) DataType.FLOAT.onnxCode())));
      case INT8 -> {
        String[] sz = scaleAndZeroPoint(b, t, q);
        b.addNode(
            Node.of(
                b.uniqueName(t + "_dequantize"),
                "DequantizeLinear",
                List.of(wire, sz[0], sz[1]),
                List.of(t)));
      }
    }
  }

  private static String[] scaleAndZeroPoint(GraphBuilder b, String t, QuantParams q) {
    if (q == null) {
      throw new IllegalArgumentException(
          "cut tensor '" + t + "': int8 on the wire needs its range");
    }
    String scale = b.uniqueName(t + ".wire_scale");
    String zero = b.uniqueName(t + ".wire_zero_point");
    b.addInitializer(Tensor.scalar(scale, q.scale()));
    b.addInitializer(
        Tensor.ofBytes(zero, DataType.INT8, new long[0], new byte[] {(byte) q.zeroPoint()}));
    return new String[] {scale, zero};
  }
}
