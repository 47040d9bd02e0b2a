package org.edgeopt.compile.tflite;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.edgeopt.core.graph.DataType;
import org.edgeopt.core.graph.Graph;
import org.edgeopt.core.graph.Node;
import org.edgeopt.core.graph.Tensor;

/**
 * Reads a QDQ ONNX graph the way the lowering needs it: which values are quantized
 * activations (and with which int8 parameters), which are quantized constants, and which
 * activation functions can be fused into their producer.
 *
 * <p>A quantized activation is a float value {@code x} read through {@code QuantizeLinear} and
 * {@code DequantizeLinear}; the TFLite tensor for it is the int8 tensor of the {@code
 * QuantizeLinear} output. uint8 activations (ONNX Runtime's U8S8 format) are read as int8 with
 * the zero point moved by -128, which represents exactly the same real values.
 */
final class QdqView {
  static final String Q = "QuantizeLinear";
  static final String DQ = "DequantizeLinear";

  /**
   * A constant input of an operator, as stored in the model (quantized or float).
   *
   * @param name the ONNX value name of the stored tensor
   * @param type the stored element type
   * @param dims the dimensions
   * @param raw the stored little-endian bytes
   * @param scales the dequantization scales (one, or one per channel), empty for float constants
   * @param zeroPoints the zero points, one per scale
   * @param axis the channel axis of per-channel parameters, -1 for per tensor
   */
  record Const(
      String name,
      DataType type,
      long[] dims,
      byte[] raw,
      float[] scales,
      long[] zeroPoints,
      int axis) {
    /** Returns whether the constant is stored quantized. */
    boolean quantized() {
      return scales.length > 0;
    }

    /** Returns whether the constant has one scale per channel. */
    boolean perChannel() {
      return scales.length > 1;
    }

    /** Returns the number of elements. */
    int count() {
      long n = 1;
      for (long d : dims) {
        n *= d;
      }
      return Math.toIntExact(n);
    }

    /** Returns the real values the constant stands for. */
    float[] real() {
      int n = count();
      float[] out = new float[n];
      ByteBuffer b = ByteBuffer.wrap(raw).order(java.nio.ByteOrder.LITTLE_ENDIAN);
      int channels = scales.length;
      int inner = 1;
      if (channels > 1) {
        for (int d = axis + 1; d < dims.length; d++) {
          inner *= (int) dims[d];
        }
      }
      for (int i = 0; i < n; i++) {
        double v =
            switch (type) {
              case FLOAT -> b.getFloat();
              case INT8 -> b.get();
              case UINT8 -> b.get() & 0xff;
              case INT32 -> b.getInt();
              case INT64 -> b.getLong();
              default -> throw new IllegalStateException("constant '" + name + "' of type " + type);
            };
        if (channels > 0) {
          int c = channels == 1 ? 0 : (i / inner) % channels;
          v = (v - zeroPoints[c]) * scales[c];
        }
        out[i] = (float) v;
      }
      return out;
    }
  }

  private final Graph graph;
  private final Map<String, Node> producers;
  private final Map<String, List<Node>> consumers;

  QdqView(Graph graph) {
    this.graph = graph;
    this.producers = graph.producers();
    this.consumers = graph.consumers();
  }

  Graph graph() {
    return graph;
  }

  /** Returns whether a node is a QuantizeLinear or DequantizeLinear. */
  static boolean isQdq(Node n) {
    return n.domain().isEmpty() && (n.opType().equals(Q) || n.opType().equals(DQ));
  }

  Optional<Node> producer(String value) {
    return Optional.ofNullable(producers.get(value));
  }

  List<Node> consumers(String value) {
    return consumers.getOrDefault(value, List.of());
  }

  /** Returns the QuantizeLinear nodes that read a float value, in graph order. */
  List<Node> quantizers(String value) {
    return consumers(value).stream().filter(n -> n.opType().equals(Q)).toList();
  }

  /**
   * Returns the key under which the lowering files the TFLite tensor of a value read as an
   * activation: {@code DequantizeLinear(QuantizeLinear(x))} is filed under the QuantizeLinear
   * output, {@code DequantizeLinear(int8 graph input)} under that input, anything else under its
   * own name.
   */
  String activationKey(String value) {
    Node p = producers.get(value);
    if (p != null && p.opType().equals(DQ) && !graph.initializers().containsKey(p.input(0))) {
      return p.input(0);
    }
    return value;
  }

  /** Returns the int8 parameters a QuantizeLinear (or an activation DequantizeLinear) stands for. */
  TfliteModel.Quant activationQuant(Node qdq) throws Unmappable {
    Tensor scale = graph.initializers().get(qdq.input(1));
    Tensor zp = qdq.input(2).isEmpty() ? null : graph.initializers().get(qdq.input(2));
    if (scale == null || (!qdq.input(2).isEmpty() && zp == null)) {
      throw new Unmappable(
          qdq,
          "its scale and zero point are not constants",
          "quantize with constant scales and zero points (edgeopt quantize does)");
    }
    if (scale.elementCount() != 1) {
      throw new Unmappable(
          qdq,
          "activation '"
              + qdq.input(0)
              + "' is quantized per channel ("
              + scale.elementCount()
              + " scales); TFLite int8 activations are per tensor",
          "quantize activations per tensor");
    }
    float s = scale.toFloats()[0];
    if (!(s > 0) || Float.isInfinite(s)) {
      throw new Unmappable(
          qdq, "quantization scale " + s + " is not positive and finite", "recalibrate the model");
    }
    DataType type = zp == null ? DataType.UINT8 : zp.dataType();
    long z = zp == null ? 0 : zp.toLongs()[0];
    return switch (type) {
      case INT8 -> TfliteModel.Quant.of(s, z);
      case UINT8 -> TfliteModel.Quant.of(s, z - 128);
      default ->
          throw new Unmappable(
              qdq,
              "activation type is " + type + "; TFLite int8 needs int8 or uint8",
              "quantize activations to int8 or uint8");
    };
  }

  /**
   * Returns a constant input as stored: {@code DequantizeLinear(initializer)}, {@code
   * DequantizeLinear(QuantizeLinear(float initializer))} (quantized here with the
   * QuantizeLinear parameters), or a plain initializer.
   */
  Optional<Const> constant(String value) throws Unmappable {
    Tensor init = graph.initializers().get(value);
    if (init != null) {
      return Optional.of(
          new Const(
              value, init.dataType(), init.dims(), bytes(init), new float[0], new long[0], -1));
    }
    Node p = producers.get(value);
    if (p == null || !p.opType().equals(DQ)) {
      return Optional.empty();
    }
    Tensor data = graph.initializers().get(p.input(0));
    Node q = null;
    if (data == null) {
      q = producers.get(p.input(0));
      if (q == null || !q.opType().equals(Q) || !graph.initializers().containsKey(q.input(0))) {
        return Optional.empty();
      }
    }
    Tensor scale = graph.initializers().get(p.input(1));
    Tensor zp = p.input(2).isEmpty() ? null : graph.initializers().get(p.input(2));
    if (scale == null || (!p.input(2).isEmpty() && zp == null)) {
      throw new Unmappable(
          p, "its scale and zero point are not constants", "quantize with constant parameters");
    }
    float[] scales = scale.toFloats();
    long[] zps = zp == null ? new long[scales.length] : zp.toLongs();
    int rank = (data != null ? data : graph.initializers().get(q.input(0))).rank();
    int axis = scales.length > 1 ? (int) p.intAttr("axis", 1) : -1;
    if (axis < -1) {
      axis += rank;
    }
    if (data != null) {
      return Optional.of(
          new Const(p.input(0), data.dataType(), data.dims(), bytes(data), scales, zps, axis));
    }
    // DequantizeLinear(QuantizeLinear(float weights)): quantize the weights here, as ONNX would at
    // run time.
    Tensor real = graph.initializers().get(q.input(0));
    DataType type = zp == null ? DataType.UINT8 : zp.dataType();
    float[] f = real.toFloats();
    int inner = 1;
    if (scales.length > 1) {
      for (int d = axis + 1; d < rank; d++) {
        inner *= (int) real.dim(d);
      }
    }
    ByteBuffer out =
        ByteBuffer.allocate(f.length * (type == DataType.INT32 ? 4 : 1))
            .order(java.nio.ByteOrder.LITTLE_ENDIAN);
    long lo = type == DataType.INT8 ? -128 : type == DataType.UINT8 ? 0 : Integer.MIN_VALUE;
    long hi = type == DataType.INT8 ? 127 : type == DataType.UINT8 ? 255 : Integer.MAX_VALUE;
    for (int i = 0; i < f.length; i++) {
      int c = scales.length == 1 ? 0 : (i / inner) % scales.length;
      long v = (long) Math.rint(f[i] / (double) scales[c]) + zps[c];
      v = Math.max(lo, Math.min(hi, v));
      if (type == DataType.INT32) {
        out.putInt((int) v);
      } else {
        out.put((byte) v);
      }
    }
    return Optional.of(new Const(q.input(0), type, real.dims(), out.array(), scales, zps, axis));
  }

  /** Returns the real values of a constant input (e.g. Clip bounds), or empty when it is not constant. */
  Optional<float[]> constantReal(String value) throws Unmappable {
    if (value.isEmpty()) {
      return Optional.empty();
    }
    Optional<Const> c = constant(value);
    return c.isPresent() ? Optional.of(c.get().real()) : Optional.empty();
  }

  private static byte[] bytes(Tensor t) {
    ByteBuffer d = t.data();
    byte[] b = new byte[d.remaining()];
    d.get(b);
    return b;
  }
}
