package org.edgeopt.compile.tensorrt;

import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.edgeopt.core.EdgeoptException;
import org.edgeopt.core.graph.DataType;
import org.edgeopt.core.graph.Graph;
import org.edgeopt.core.graph.GraphBuilder;
import org.edgeopt.core.graph.Node;
import org.edgeopt.core.graph.Tensor;
import org.edgeopt.core.quant.QuantParams;
import org.edgeopt.core.quant.TensorRange;

/**
 * Takes the Q/DQ nodes out of a quantized ONNX graph, keeping what they said: the activation
 * ranges, the weight scales and which layers the quantizer left in float.
 *
 * <p>A QDQ model made for ONNX Runtime (uint8 or asymmetric activations, Q/DQ after every
 * operator) is not what TensorRT wants; taking it apart and quantizing the float graph again
 * under TensorRT's rules is simpler and safer than patching it in place.
 */
public final class QdqStripper {
  private QdqStripper() {}

  /**
   * Returns the float graph and the quantization choices of {@code g}; {@code where} names the
   * model in errors.
   *
   * @throws EdgeoptException (exit 3) for Q/DQ uses TensorRT cannot take (integer graph inputs
   *     or outputs)
   */
  public static QdqModel strip(Graph g, String where) throws EdgeoptException {
    Map<String, Node> producers = g.producers();
    Set<String> floatLayers = new HashSet<>();
    boolean hadQdq = false;
    for (Node n : g.nodes()) {
      if (isQ(n) || isDq(n)) {
        hadQdq = true;
      }
    }
    if (!hadQdq) {
      return new QdqModel(g, Map.of(), Map.of(), Set.of(), false);
    }
    for (Node n : g.nodes()) {
      if (WeightedLayers.isWeighted(n)) {
        Node p = producers.get(n.input(0));
        if (p == null || !isDq(p)) {
          floatLayers.add(n.name());
        }
      }
    }

    Map<String, String> rename = new HashMap<>();
    Map<String, TensorRange> ranges = new LinkedHashMap<>();
    Map<String, QdqModel.WeightScale> weightScales = new LinkedHashMap<>();
    Map<String, Tensor> newInitializers = new LinkedHashMap<>();
    Set<Node> drop = java.util.Collections.newSetFromMap(new IdentityHashMap<>());
    Map<Node, Node> identities = new IdentityHashMap<>();
    Map<Node, Node> replacements = new IdentityHashMap<>();
    Map<Node, String> floatPads = new IdentityHashMap<>();
    Map<String, Node> relus = new LinkedHashMap<>();

    for (Node d : g.nodes()) {
      if (!isDq(d)) {
        continue;
      }
      String x = d.input(0);
      Tensor constant = g.initializers().get(x);
      if (constant != null) {
        Tensor f = dequantize(g, d, constant, where);
        newInitializers.put(f.name(), f);
        weightScale(g, d, constant).ifPresent(w -> weightScales.put(f.name(), w));
        drop.add(d);
        continue;
      }
      Node q = producers.get(x);
      Node pad = q != null && isQuantizedPad(q, producers) ? q : null;
      if (pad != null) {
        // Pad of quantized values (the onnxruntime-cpu profile pads the first convolution's
        // input channels with the zero point): pad the float tensor with the matching float value
        // instead, and keep the Q's range for both the tensor and its padded copy.
        q = producers.get(pad.input(0));
        String source = q.input(0);
        TensorRange range = rangeOf(g, q, where);
        if (!g.initializers().containsKey(source)) {
          ranges.putIfAbsent(source, range);
          source = clamped(g, source, range, producers, relus, ranges);
        }
        String padded = floatPads.get(pad);
        if (padded == null) {
          Node floatPad = floatPad(g, pad, q, source, d.output(), newInitializers, where);
          floatPads.put(pad, d.output());
          replacements.put(pad, floatPad);
          ranges.putIfAbsent(d.output(), range);
        } else {
          rename.put(d.output(), padded);
        }
        drop.add(d);
        continue;
      }
      if (q == null || !isQ(q)) {
        throw EdgeoptException.invalid(
            where
                + ": "
                + d.describe()
                + " reads '"
                + x
                + "', which is neither a weight nor the output of a QuantizeLinear: expected float graph inputs and Q/DQ pairs");
      }
      String source = q.input(0);
      if (!g.initializers().containsKey(source)) {
        TensorRange range = rangeOf(g, q, where);
        ranges.putIfAbsent(source, range);
        source = clamped(g, source, range, producers, relus, ranges);
      }
      if (g.isOutput(d.output())) {
        identities.put(d, Node.of(d.name(), "Identity", List.of(source), List.of(d.output())));
      } else {
        rename.put(d.output(), source);
        drop.add(d);
      }
    }
    for (Node q : g.nodes()) {
      if (isQ(q) && g.isOutput(q.output())) {
        throw EdgeoptException.invalid(
            where
                + ": graph output '"
                + q.output()
                + "' is quantized by "
                + q.describe()
                + ": expected float graph outputs for TensorRT");
      }
    }

    GraphBuilder b = new GraphBuilder(g.name(), g.opset()).info(g.info());
    g.inputs().forEach(b::addInput);
    g.outputs().forEach(b::addOutput);
    g.initializers().values().forEach(b::addInitializer);
    newInitializers.values().forEach(b::addInitializer);
    relus.values().forEach(b::addNode);
    for (Node n : g.nodes()) {
      if (drop.contains(n)) {
        continue;
      }
      Node r = identities.getOrDefault(n, replacements.getOrDefault(n, n));
      List<String> in = r.inputs().stream().map(s -> resolve(rename, s)).toList();
      b.addNode(r.withInputs(in));
    }
    b.removeUnused();
    Graph stripped = b.build();
    for (Node n : stripped.nodes()) {
      if (isQ(n) || isDq(n)) {
        throw EdgeoptException.invalid(
            where
                + ": "
                + n.describe()
                + " does not form a Q/DQ pair around a float tensor:"
                + " expected QuantizeLinear followed by DequantizeLinear");
      }
    }
    return new QdqModel(stripped, ranges, weightScales, floatLayers, true);
  }

  /**
   * Returns the float tensor that stands for {@code source} after its Q/DQ pair: a Relu of it when
   * the pair clamps at 0. An asymmetric quantizer drops the Relu after a layer and lets the Q's
   * range, which starts at 0, do the clamping; without the Q that clamping must be said again.
   */
  private static String clamped(
      Graph g,
      String source,
      TensorRange range,
      Map<String, Node> producers,
      Map<String, Node> relus,
      Map<String, TensorRange> ranges) {
    Node p = producers.get(source);
    if (range.min() != 0f
        || (p != null && (p.opType().equals("Relu") || p.opType().equals("Clip")))) {
      return source;
    }
    Node relu = relus.get(source);
    if (relu == null) {
      String out = source + "_clamped";
      for (int i = 1;
          g.producer(out).isPresent() || g.initializers().containsKey(out) || g.isOutput(out);
          i++) {
        out = source + "_clamped_" + i;
      }
      relu = Node.of(out, "Relu", List.of(source), List.of(out));
      relus.put(source, relu);
      ranges.putIfAbsent(out, range);
    }
    return relu.output();
  }

  /** Returns whether {@code n} is a Pad whose data is the output of a QuantizeLinear. */
  private static boolean isQuantizedPad(Node n, Map<String, Node> producers) {
    if (!n.domain().isEmpty() || !n.opType().equals("Pad") || n.inputs().isEmpty()) {
      return false;
    }
    Node q = producers.get(n.input(0));
    return q != null && isQ(q);
  }

  /**
   * Returns a Pad of the float tensor {@code source} that writes {@code output}: the quantized pad
   * value {@code v} becomes {@code (v - zeroPoint) x scale} (0 for the usual zero-point padding).
   */
  private static Node floatPad(
      Graph g,
      Node pad,
      Node q,
      String source,
      String output,
      Map<String, Tensor> initializers,
      String where)
      throws EdgeoptException {
    Tensor scale = g.initializers().get(q.input(1));
    Tensor zp =
        q.inputs().size() < 3 || q.input(2).isEmpty() ? null : g.initializers().get(q.input(2));
    if (scale == null || scale.elementCount() != 1 || (zp != null && zp.elementCount() != 1)) {
      throw EdgeoptException.invalid(
          where
              + ": "
              + pad.describe()
              + " pads a tensor quantized by "
              + q.describe()
              + " with "
              + (scale == null ? "a computed scale" : scale.elementCount() + " scales")
              + ": expected one constant per-tensor scale and zero point");
    }
    float quantized = 0;
    if (pad.inputs().size() > 2 && !pad.input(2).isEmpty()) {
      Tensor value = g.initializers().get(pad.input(2));
      if (value == null || value.elementCount() != 1) {
        throw EdgeoptException.invalid(
            where
                + ": "
                + pad.describe()
                + " pads with '"
                + pad.input(2)
                + "': expected one constant value");
      }
      quantized = value.toFloats()[0];
    }
    float z = zp == null ? 0 : zp.toFloats()[0];
    float real = (float) ((quantized - (double) z) * scale.toFloats()[0]);
    String valueName = output + "_pad_value";
    initializers.put(valueName, Tensor.ofFloats(valueName, new long[] {}, new float[] {real}));
    List<String> in = new java.util.ArrayList<>(pad.inputs());
    in.set(0, source);
    if (in.size() > 2) {
      in.set(2, valueName);
    } else {
      if (in.size() < 2) {
        throw EdgeoptException.invalid(
            where + ": " + pad.describe() + " has no pads input: expected opset >= 11 Pad");
      }
      in.add(valueName);
    }
    return pad.withInputs(in).withOutputs(List.of(output));
  }

  static boolean isQ(Node n) {
    return n.domain().isEmpty() && n.opType().equals("QuantizeLinear");
  }

  static boolean isDq(Node n) {
    return n.domain().isEmpty() && n.opType().equals("DequantizeLinear");
  }

  private static String resolve(Map<String, String> rename, String name) {
    String s = name;
    for (int guard = 0; rename.containsKey(s) && guard < 64; guard++) {
      s = rename.get(s);
    }
    return s;
  }

  /** Returns the float range a per-tensor activation Q node covers. */
  private static TensorRange rangeOf(Graph g, Node q, String where) throws EdgeoptException {
    Tensor scale = g.initializers().get(q.input(1));
    if (scale == null || scale.elementCount() != 1) {
      throw EdgeoptException.invalid(
          where
              + ": "
              + q.describe()
              + " quantizes activation '"
              + q.input(0)
              + "' with "
              + (scale == null ? "a computed scale" : scale.elementCount() + " scales")
              + ": expected one constant per-tensor scale");
    }
    Tensor zp = q.input(2).isEmpty() ? null : g.initializers().get(q.input(2));
    DataType type = zp == null ? DataType.UINT8 : zp.dataType();
    float s = scale.toFloats()[0];
    float z = zp == null ? 0 : zp.toFloats()[0];
    // Symmetric int8 leaves -128 unused (TensorRT's convention): [-127s, 127s] gives back s
    // exactly.
    long qmin = type == DataType.INT8 && z == 0 ? -127 : QuantParams.qmin(type);
    float lo = (float) (s * ((double) qmin - z));
    float hi = (float) (s * ((double) QuantParams.qmax(type) - z));
    return new TensorRange(lo, hi, lo, hi, "qdq", 0, 0);
  }

  private static Tensor dequantize(Graph g, Node d, Tensor q, String where)
      throws EdgeoptException {
    Tensor scale = g.initializers().get(d.input(1));
    if (scale == null) {
      throw EdgeoptException.invalid(where + ": " + d.describe() + " has no constant scale");
    }
    Tensor zp = d.input(2).isEmpty() ? null : g.initializers().get(d.input(2));
    float[] s = scale.toFloats();
    float[] z = zp == null ? new float[s.length] : zp.toFloats();
    float[] v = q.toFloats();
    long[] dims = q.dims();
    int axis = channelAxis(d, dims.length, s.length);
    int inner = 1;
    for (int i = axis + 1; i < dims.length; i++) {
      inner *= (int) dims[i];
    }
    int channels = axis < 0 ? 1 : (int) dims[axis];
    float[] out = new float[v.length];
    for (int i = 0; i < v.length; i++) {
      int c = axis < 0 ? 0 : (i / inner) % channels;
      out[i] = (float) ((v[i] - z[c]) * (double) s[c]);
    }
    return Tensor.ofFloats(d.output(), dims, out);
  }

  private static int channelAxis(Node d, int rank, int scales) {
    if (scales == 1) {
      return -1;
    }
    int axis = (int) d.intAttr("axis", 1);
    axis = axis < 0 ? axis + rank : axis;
    // a per-channel 1-D tensor (a bias) can only be quantized along its one axis
    return Math.min(axis, rank - 1);
  }

  private static java.util.Optional<QdqModel.WeightScale> weightScale(Graph g, Node d, Tensor q) {
    if (q.dataType() != DataType.INT8) {
      return java.util.Optional.empty();
    }
    Tensor zp = d.input(2).isEmpty() ? null : g.initializers().get(d.input(2));
    if (zp != null) {
      for (float z : zp.toFloats()) {
        if (z != 0) {
          return java.util.Optional.empty();
        }
      }
    }
    float[] s = g.initializers().get(d.input(1)).toFloats();
    return java.util.Optional.of(new QdqModel.WeightScale(s, channelAxis(d, q.rank(), s.length)));
  }
}
