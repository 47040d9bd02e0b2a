package org.edgeopt.compile.tensorrt;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.edgeopt.core.EdgeoptException;
import org.edgeopt.core.Version;
import org.edgeopt.core.graph.Attribute;
import org.edgeopt.core.graph.DataType;
import org.edgeopt.core.graph.Graph;
import org.edgeopt.core.graph.GraphBuilder;
import org.edgeopt.core.graph.Node;
import org.edgeopt.core.graph.Tensor;
import org.edgeopt.core.onnx.OnnxChecker;
import org.edgeopt.core.quant.CalibrationTable;
import org.edgeopt.core.quant.QuantParams;
import org.edgeopt.core.quant.TensorRange;

/**
 * Writes the explicit-quantization ONNX that TensorRT's Q/DQ placement guidance asks for.
 *
 * <p>The rules, from the TensorRT developer guide's Q/DQ layer-placement recommendations:
 * quantize every input of a weighted layer (Conv, ConvTranspose, Gemm, MatMul): the activation
 * per tensor, the weight per output channel; leave the outputs of weighted layers in high
 * precision, since the next weighted layer quantizes its own input; quantize the residual input
 * of an Add that follows a weighted layer, so TensorRT fuses the add into that layer's int8
 * kernel; and fold BatchNormalization into the convolution before quantizing its weights.
 * Everything is symmetric int8 (zero point 0), the only integer quantization TensorRT runs.
 */
public final class TensorRtQdqExporter {
  private TensorRtQdqExporter() {}

  /** Exports a QDQ model, keeping its ranges, weight scales and float fallbacks. */
  public static TensorRtQdqExport fromQdq(QdqModel model, CalibrationTable extra, String where)
      throws EdgeoptException {
    Map<String, TensorRange> ranges = new LinkedHashMap<>(model.ranges());
    if (extra != null) {
      extra.tensors().forEach(ranges::putIfAbsent);
    }
    return export(model.floatGraph(), ranges, model.weightScales(), model.floatLayers(), where);
  }

  /** Exports an FP32 model quantized with the ranges of a calibration table. */
  public static TensorRtQdqExport fromCalibration(Graph fp32, CalibrationTable table, String where)
      throws EdgeoptException {
    return export(fp32, table.tensors(), Map.of(), java.util.Set.of(), where);
  }

  /**
   * Exports a float graph with the given activation ranges.
   *
   * @param ranges activation ranges by tensor name
   * @param weightScales symmetric scales to reuse for weights, by initializer name
   * @param keepFloat names of weighted layers to leave in float
   * @throws EdgeoptException (exit 3) when a weighted layer's input has no range
   */
  public static TensorRtQdqExport export(
      Graph floatGraph,
      Map<String, TensorRange> ranges,
      Map<String, QdqModel.WeightScale> weightScales,
      java.util.Set<String> keepFloat,
      String where)
      throws EdgeoptException {
    Graph g = floatGraph;
    if (g.opset() < 13) {
      // Per-channel DequantizeLinear (the axis attribute) needs opset 13.
      g = OnnxChecker.convertOpset(g, 13, where);
    }
    Map<String, QdqModel.WeightScale> scales = new HashMap<>(weightScales);
    org.edgeopt.core.graph.BatchNormFolding.Result folded =
        org.edgeopt.core.graph.BatchNormFolding.fold(g);
    folded.foldedWeights().forEach(scales::remove);
    g = folded.graph();
    return new Writer(g, ranges, scales, keepFloat, where).write();
  }

  /** The state of one export. */
  private static final class Writer {
    private final Graph g;
    private final Map<String, TensorRange> ranges;
    private final Map<String, QdqModel.WeightScale> weightScales;
    private final java.util.Set<String> keepFloat;
    private final String where;
    private final GraphBuilder b;
    private final Map<String, String> dequantized = new HashMap<>();
    private final List<String> int8 = new ArrayList<>();
    private final List<String> floats = new ArrayList<>();
    private final List<String> residual = new ArrayList<>();
    private final List<String> messages = new ArrayList<>();

    Writer(
        Graph g,
        Map<String, TensorRange> ranges,
        Map<String, QdqModel.WeightScale> weightScales,
        java.util.Set<String> keepFloat,
        String where) {
      this.g = g;
      this.ranges = ranges;
      this.weightScales = weightScales;
      this.keepFloat = keepFloat;
      this.where = where;
      this.b = new GraphBuilder(g.name(), g.opset()).info(g.info());
      g.inputs().forEach(b::addInput);
      g.outputs().forEach(b::addOutput);
      g.initializers().values().forEach(b::addInitializer);
      g.valueInfo().values().forEach(b::putValueInfo);
      // Reserve every existing node and value name, so new Q/DQ names never collide with them.
      for (Node n : g.nodes()) {
        b.uniqueName(n.name());
        n.outputs().forEach(b::uniqueName);
      }
    }

    TensorRtQdqExport write() throws EdgeoptException {
      Map<String, Node> producers = g.producers();
      Map<String, Integer> order = new HashMap<>();
      for (int i = 0; i < g.nodes().size(); i++) {
        order.put(g.nodes().get(i).name(), i);
      }
      java.util.Set<String> int8Names = new java.util.HashSet<>();
      for (Node n : g.nodes()) {
        Node out = n;
        if (WeightedLayers.isWeighted(n)) {
          out = weighted(n);
          if (out != n) {
            int8Names.add(n.name());
          }
        } else if (n.opType().equals("Add") && n.domain().isEmpty() && n.inputs().size() == 2) {
          out = residualAdd(n, producers, int8Names, order);
        }
        b.addNode(out);
      }
      b.removeUnused();
      Map<String, String> meta = new LinkedHashMap<>();
      meta.put(
          "edgeopt.tensorrt.quantization",
          "explicit: symmetric int8, weights per output channel, activations per tensor");
      meta.put("edgeopt.tensorrt.int8-layers", Integer.toString(int8.size()));
      meta.put("edgeopt.producer", "edgeopt-target-tensorrt " + Version.get());
      b.info(b.info().withMetadata(meta));
      Graph out = b.build();
      OnnxChecker.check(out, where + " (TensorRT QDQ export)");
      return new TensorRtQdqExport(out, int8, floats, residual, messages);
    }

    private Node weighted(Node n) throws EdgeoptException {
      if (keepFloat.contains(n.name())) {
        floats.add(n.name());
        messages.add(n.describe() + " stays float: the source model left it unquantized");
        return n;
      }
      String x = n.input(0);
      String w = n.input(1);
      Tensor weight = g.initializers().get(w);
      if (g.initializers().containsKey(x)) {
        floats.add(n.name());
        messages.add(n.describe() + " stays float: its first input is a constant");
        return n;
      }
      TensorRange xr = ranges.get(x);
      if (xr == null) {
        throw EdgeoptException.invalid(
            where
                + ": no calibrated range for tensor '"
                + x
                + "', the input of "
                + n.describe()
                + ": expected the calibration table (or the QDQ model) to cover every weighted layer's input");
      }
      List<String> in = new ArrayList<>(n.inputs());
      Node node = n;
      if (weight == null) {
        TensorRange wr = ranges.get(w);
        if (wr == null) {
          floats.add(n.name());
          messages.add(
              n.describe()
                  + " stays float: its second input '"
                  + w
                  + "' is computed and has no range");
          return n;
        }
        in.set(1, activation(w, wr));
      } else {
        if (n.opType().equals("Gemm") && n.intAttr("transB", 0) == 0 && weight.rank() == 2) {
          // TensorRT quantizes weights per output channel on axis 0: store B transposed.
          weight = transpose(weight, b.uniqueName(w + "_transposed"));
          b.addInitializer(weight);
          node = node.withAttribute(Attribute.of("transB", 1L));
        }
        in.set(1, weightDq(node, weight));
      }
      in.set(0, activation(x, xr));
      int8.add(n.name());
      return node.withInputs(in);
    }

    private Node residualAdd(
        Node n,
        Map<String, Node> producers,
        java.util.Set<String> int8Names,
        Map<String, Integer> order)
        throws EdgeoptException {
      String a = n.input(0);
      String c = n.input(1);
      if (g.initializers().containsKey(a) || g.initializers().containsKey(c)) {
        return n;
      }
      Optional<Node> pa =
          WeightedLayers.weightedProducer(producers, a).filter(p -> int8Names.contains(p.name()));
      Optional<Node> pc =
          WeightedLayers.weightedProducer(producers, c).filter(p -> int8Names.contains(p.name()));
      int quantize;
      if (pa.isPresent() && pc.isEmpty()) {
        quantize = 1;
      } else if (pc.isPresent() && pa.isEmpty()) {
        quantize = 0;
      } else if (pa.isPresent()) {
        // Both branches end in a weighted layer: TensorRT fuses the add into the later one, so
        // the earlier branch is the residual.
        quantize = order.get(pa.get().name()) < order.get(pc.get().name()) ? 0 : 1;
      } else {
        return n;
      }
      String r = n.input(quantize);
      TensorRange range = ranges.get(r);
      if (range == null) {
        messages.add(
            n.describe()
                + ": residual input '"
                + r
                + "' has no calibrated range, so the add will not fuse"
                + " into the int8 layer before it");
        return n;
      }
      List<String> in = new ArrayList<>(n.inputs());
      in.set(quantize, activation(r, range));
      residual.add(n.name());
      return n.withInputs(in);
    }

    /** Returns the name of the dequantized copy of an activation, adding its Q/DQ pair once. */
    private String activation(String tensor, TensorRange range) {
      String key = "a:" + tensor;
      String done = dequantized.get(key);
      if (done != null) {
        return done;
      }
      QuantParams p = QuantParams.symmetric(range.absMax(), DataType.INT8);
      String scale = b.uniqueName(tensor + "_scale");
      String zp = b.uniqueName(tensor + "_zero_point");
      b.addInitializer(Tensor.scalar(scale, p.scale()));
      b.addInitializer(Tensor.ofBytes(zp, DataType.INT8, new long[0], new byte[1]));
      String q = b.uniqueName(tensor + "_quantized");
      String dq = b.uniqueName(tensor + "_dequantized");
      b.add(
          "QuantizeLinear",
          b.uniqueName(tensor + "_QuantizeLinear"),
          List.of(tensor, scale, zp),
          List.of(q));
      b.add(
          "DequantizeLinear",
          b.uniqueName(tensor + "_DequantizeLinear"),
          List.of(q, scale, zp),
          List.of(dq));
      dequantized.put(key, dq);
      return dq;
    }

    /** Returns the name of the dequantized int8 copy of a weight, quantized per output channel. */
    private String weightDq(Node n, Tensor weight) {
      int axis = WeightedLayers.outputChannelAxis(n, weight.rank());
      String key = "w:" + weight.name() + ":" + axis;
      String done = dequantized.get(key);
      if (done != null) {
        return done;
      }
      long[] dims = weight.dims();
      int channels = (int) dims[axis];
      int inner = 1;
      for (int i = axis + 1; i < dims.length; i++) {
        inner *= (int) dims[i];
      }
      float[] v = weight.toFloats();
      QuantParams p = weightParams(weight.name(), v, channels, inner, axis);
      byte[] q = new byte[v.length];
      for (int i = 0; i < v.length; i++) {
        q[i] = (byte) p.quantize(v[i], (i / inner) % channels);
      }
      String base = weight.name();
      String qName = b.uniqueName(base + "_int8");
      String scale = b.uniqueName(base + "_scale");
      String zp = b.uniqueName(base + "_zero_point");
      b.addInitializer(Tensor.ofBytes(qName, DataType.INT8, dims, q));
      b.addInitializer(Tensor.ofFloats(scale, new long[] {channels}, p.scales()));
      b.addInitializer(
          Tensor.ofBytes(zp, DataType.INT8, new long[] {channels}, new byte[channels]));
      String dq = b.uniqueName(base + "_dequantized");
      b.addNode(
          Node.of(
              b.uniqueName(base + "_DequantizeLinear"),
              "DequantizeLinear",
              List.of(qName, scale, zp),
              List.of(dq),
              Attribute.of("axis", (long) axis)));
      dequantized.put(key, dq);
      return dq;
    }

    private QuantParams weightParams(String name, float[] v, int channels, int inner, int axis) {
      QdqModel.WeightScale kept = weightScales.get(name);
      if (kept != null
          && (kept.scales().length == 1
              || (kept.axis() == axis && kept.scales().length == channels))) {
        float[] s = kept.scales();
        float[] perChannel = new float[channels];
        for (int c = 0; c < channels; c++) {
          perChannel[c] = s.length == 1 ? s[0] : s[c];
        }
        if (fits(v, perChannel, channels, inner)) {
          return new QuantParams(perChannel, new long[channels], axis, DataType.INT8);
        }
      }
      float[] absMax = new float[channels];
      for (int i = 0; i < v.length; i++) {
        int c = (i / inner) % channels;
        absMax[c] = Math.max(absMax[c], Math.abs(v[i]));
      }
      return QuantParams.perChannelSymmetric(absMax, axis);
    }

    /** Returns whether the kept scales represent every weight without clamping. */
    private static boolean fits(float[] v, float[] scales, int channels, int inner) {
      for (int i = 0; i < v.length; i++) {
        if (Math.abs(v[i]) / scales[(i / inner) % channels] > 127.5f) {
          return false;
        }
      }
      return true;
    }

    private static Tensor transpose(Tensor w, String name) {
      long[] d = w.dims();
      int r = (int) d[0];
      int c = (int) d[1];
      float[] v = w.toFloats();
      float[] t = new float[v.length];
      for (int i = 0; i < r; i++) {
        for (int j = 0; j < c; j++) {
          t[j * r + i] = v[i * c + j];
        }
      }
      return Tensor.ofFloats(name, new long[] {c, r}, t);
    }
  }
}
