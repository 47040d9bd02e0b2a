package org.edgeopt.planners.split;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.edgeopt.core.graph.DataType;
import org.edgeopt.core.graph.Float16;
import org.edgeopt.core.graph.Tensor;
import org.edgeopt.core.quant.QuantParams;

/**
 * Encodes a float tensor into its wire form and back, with the same rounding as ONNX's
 * {@code Cast} to float16 and {@code QuantizeLinear} (half to even, saturating), so a round trip
 * in Java computes what the written sub-models compute.
 */
public final class WireCodec {
  private WireCodec() {}

  /** Returns the bytes {@code t} takes on the wire in {@code format} (little-endian elements). */
  public static byte[] encode(Tensor t, WireFormat format, QuantParams int8) {
    float[] v = t.toFloats();
    ByteBuffer b =
        ByteBuffer.allocate(v.length * format.dataType().byteSize()).order(ByteOrder.LITTLE_ENDIAN);
    switch (format) {
      case FP32 -> b.asFloatBuffer().put(v);
      case FP16 -> {
        for (float x : v) {
          b.putShort(Float16.fromFloat(x));
        }
      }
      case INT8 -> {
        for (float x : v) {
          b.put((byte) int8.quantize(x, 0));
        }
      }
    }
    return b.array();
  }

  /** Returns the wire tensor for {@code t}: float32, float16 or int8 elements under the same name. */
  public static Tensor toWire(Tensor t, WireFormat format, QuantParams int8) {
    return switch (format) {
      case FP32 -> t;
      case FP16 -> Tensor.ofFloat16(t.name(), t.dims(), t.toFloats());
      case INT8 -> Tensor.ofBytes(t.name(), DataType.INT8, t.dims(), encode(t, format, int8));
    };
  }

  /** Returns {@code t} after a trip over the wire: what the server part sees after decoding. */
  public static Tensor roundTrip(Tensor t, WireFormat format, QuantParams int8) {
    if (format == WireFormat.FP32) {
      return t;
    }
    float[] v = t.toFloats();
    float[] out = new float[v.length];
    for (int i = 0; i < v.length; i++) {
      out[i] =
          format == WireFormat.FP16
              ? Float16.toFloat(Float16.fromFloat(v[i]))
              : int8.dequantize(int8.quantize(v[i], 0), 0);
    }
    return Tensor.ofFloats(t.name(), t.dims(), out);
  }
}
