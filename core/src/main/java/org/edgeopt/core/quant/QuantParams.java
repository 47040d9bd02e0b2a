package org.edgeopt.core.quant;

import java.util.Arrays;
import org.edgeopt.core.graph.DataType;

/**
 * Affine quantization parameters: {@code real = scale * (q - zeroPoint)}, per tensor or per
 * channel along {@code axis}.
 *
 * <p>Rounding is half to even, as ONNX {@code QuantizeLinear}, TFLite and TensorRT all do for
 * their reference kernels; values are clamped to the integer type's range. Symmetric int8
 * weights use [-qmax, qmax] with {@code qmax} from the target profile: {@link #INT8_WEIGHT_MAX}
 * (TensorRT's and TFLite's convention, which keeps -128 unused so the range is symmetric), or a
 * narrower range where the target's kernels need it (7-bit weights for ONNX Runtime's portable
 * profile, see {@link org.edgeopt.core.cpu.PairSaturation}).
 *
 * @param scales one scale per tensor, or one per channel
 * @param zeroPoints one zero point per scale
 * @param axis the channel axis for per-channel parameters, -1 for per tensor
 * @param type {@link DataType#INT8}, {@link DataType#UINT8} or {@link DataType#INT32}
 */
public record QuantParams(float[] scales, long[] zeroPoints, int axis, DataType type) {

  /** The full symmetric int8 weight range, [-127, 127]: the default of every target profile. */
  public static final int INT8_WEIGHT_MAX = 127;

  public QuantParams {
    scales = scales.clone();
    zeroPoints = zeroPoints.clone();
    if (scales.length != zeroPoints.length || scales.length == 0) {
      throw new IllegalArgumentException(
          "need one zero point per scale, found "
              + scales.length
              + " scales and "
              + zeroPoints.length
              + " zero points");
    }
    for (float s : scales) {
      if (!(s > 0) || Float.isInfinite(s)) {
        throw new IllegalArgumentException(
            "quantization scale must be positive and finite, found " + s);
      }
    }
  }

  /** Returns the smallest integer of a quantized type. */
  public static long qmin(DataType t) {
    return switch (t) {
      case INT8 -> -128;
      case UINT8 -> 0;
      case INT32 -> Integer.MIN_VALUE;
      default -> throw new IllegalArgumentException("not a quantized type: " + t);
    };
  }

  /** Returns the largest integer of a quantized type. */
  public static long qmax(DataType t) {
    return switch (t) {
      case INT8 -> 127;
      case UINT8 -> 255;
      case INT32 -> Integer.MAX_VALUE;
      default -> throw new IllegalArgumentException("not a quantized type: " + t);
    };
  }

  /**
   * Returns per-tensor asymmetric parameters covering [min, max]; the range is widened to
   * include 0 so that zero (padding, ReLU floors) is exactly representable.
   */
  public static QuantParams asymmetric(float min, float max, DataType type) {
    float lo = Math.min(min, 0f);
    float hi = Math.max(max, 0f);
    long qmin = qmin(type);
    long qmax = qmax(type);
    float scale = (hi - lo) / (qmax - qmin);
    if (!(scale > 0)) {
      scale = 1f;
    }
    long zp = Math.round(qmin - lo / scale);
    zp = Math.max(qmin, Math.min(qmax, zp));
    return new QuantParams(new float[] {scale}, new long[] {zp}, -1, type);
  }

  /** Returns per-tensor symmetric parameters (zero point 0) covering [-absMax, absMax]. */
  public static QuantParams symmetric(float absMax, DataType type) {
    float scale = absMax / (type == DataType.UINT8 ? 255f : 127f);
    if (!(scale > 0)) {
      scale = 1f;
    }
    long zp = type == DataType.UINT8 ? 128 : 0;
    return new QuantParams(new float[] {scale}, new long[] {zp}, -1, type);
  }

  /** Returns per-channel symmetric int8 parameters over the full range [-127, 127]. */
  public static QuantParams perChannelSymmetric(float[] absMax, int axis) {
    return perChannelSymmetric(absMax, axis, INT8_WEIGHT_MAX);
  }

  /**
   * Returns per-channel symmetric int8 parameters, one scale per {@code absMax} entry, mapping
   * each channel's largest magnitude to {@code weightMax}.
   */
  public static QuantParams perChannelSymmetric(float[] absMax, int axis, int weightMax) {
    if (weightMax < 1 || weightMax > INT8_WEIGHT_MAX) {
      throw new IllegalArgumentException(
          "int8 weight range must be within 1..127, found " + weightMax);
    }
    float[] s = new float[absMax.length];
    for (int i = 0; i < s.length; i++) {
      s[i] = absMax[i] > 0 ? absMax[i] / weightMax : 1f;
    }
    return new QuantParams(s, new long[s.length], axis, DataType.INT8);
  }

  /** Returns whether these parameters are per channel. */
  public boolean perChannel() {
    return axis >= 0;
  }

  /** Returns the per-tensor scale (the first one for per-channel parameters). */
  public float scale() {
    return scales[0];
  }

  /** Returns the per-tensor zero point. */
  public long zeroPoint() {
    return zeroPoints[0];
  }

  /** Quantizes one value with the parameters of channel {@code c}. */
  public long quantize(float x, int c) {
    double q = Math.rint(x / (double) scales[c]) + zeroPoints[c];
    long lo = qmin(type);
    long hi = qmax(type);
    if (type == DataType.INT8 && zeroPoints[c] == 0 && perChannel()) {
      lo = -INT8_WEIGHT_MAX;
    }
    if (Double.isNaN(q)) {
      return zeroPoints[c];
    }
    return (long) Math.max(lo, Math.min(hi, q));
  }

  /** Dequantizes one integer with the parameters of channel {@code c}. */
  public float dequantize(long q, int c) {
    return (float) ((q - zeroPoints[c]) * (double) scales[c]);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof QuantParams p
        && Arrays.equals(scales, p.scales)
        && Arrays.equals(zeroPoints, p.zeroPoints)
        && axis == p.axis
        && type == p.type;
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(scales) * 31 + Arrays.hashCode(zeroPoints) + axis + type.hashCode();
  }

  @Override
  public String toString() {
    return "QuantParams["
        + type
        + (perChannel()
            ? " axis " + axis + ", " + scales.length + " channels"
            : " scale " + scales[0] + ", zero point " + zeroPoints[0])
        + "]";
  }

  @Override
  public float[] scales() {
    return scales.clone();
  }

  @Override
  public long[] zeroPoints() {
    return zeroPoints.clone();
  }
}
