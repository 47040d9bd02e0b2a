package org.edgeopt.quantize;

import org.edgeopt.core.EdgeoptException;
import org.edgeopt.core.graph.DataType;
import org.edgeopt.core.graph.Tensor;
import org.edgeopt.core.quant.QuantParams;

/**
 * Quantizes weight and bias tensors: weights to symmetric int8 with one scale per output
 * channel, biases to int32 at scale {@code inputScale x weightScale[c]}.
 *
 * <p>Rounding and clamping follow {@link QuantParams} exactly (half to even, weights in
 * [-weightMax, weightMax], where the target profile sets {@code weightMax}: 127 for full-range
 * kernels, 64 where a saturating int16 pair sum must never clamp); the loops are written out because they run over every weight of the model, and
 * a JMH comparison ({@code bench/WeightQuantizationBenchmark}) showed a plain loop faster than
 * ND4J for this work.
 */
public final class WeightQuantizer {
  private WeightQuantizer() {}

  /**
   * A weight tensor quantized per channel.
   *
   * @param values the int8 values, in the layout of the float tensor
   * @param params the per-channel scales (zero points all 0) along {@code params.axis()}
   */
  public record QuantizedWeights(byte[] values, QuantParams params) {
    public QuantizedWeights {
      values = values.clone();
    }

    @Override
    public byte[] values() {
      return values.clone();
    }
  }

  /**
   * Quantizes {@code w} (shape {@code dims}) to symmetric int8 with one scale per index of
   * {@code axis}; a channel that is all zeros gets scale 1.
   *
   * @param where names the tensor and node in errors, e.g. {@code initializer 'conv1.w' of Conv 'conv1'}
   * @throws EdgeoptException (invalid input) when a weight is NaN or infinite
   */
  public static QuantizedWeights perChannel(float[] w, long[] dims, int axis, String where)
      throws EdgeoptException {
    return perChannel(w, dims, axis, QuantParams.INT8_WEIGHT_MAX, where);
  }

  /**
   * Quantizes {@code w} (shape {@code dims}) to symmetric int8 in [-weightMax, weightMax] with
   * one scale per index of {@code axis}; a channel that is all zeros gets scale 1.
   *
   * @throws EdgeoptException (invalid input) when a weight is NaN or infinite
   */
  public static QuantizedWeights perChannel(
      float[] w, long[] dims, int axis, int weightMax, String where) throws EdgeoptException {
    if (axis < 0 || axis >= dims.length) {
      throw new IllegalArgumentException(where + ": axis " + axis + " outside rank " + dims.length);
    }
    int channels = Math.toIntExact(dims[axis]);
    int inner = 1;
    for (int i = axis + 1; i < dims.length; i++) {
      inner = Math.multiplyExact(inner, Math.toIntExact(dims[i]));
    }
    int outer = channels == 0 || inner == 0 ? 0 : w.length / (channels * inner);
    // Elements of channel c are the runs [(o * channels + c) * inner, + inner): no division per
    // element.
    float[] absMax = new float[channels];
    for (int o = 0; o < outer; o++) {
      for (int c = 0; c < channels; c++) {
        int base = (o * channels + c) * inner;
        float m = absMax[c];
        for (int k = base; k < base + inner; k++) {
          float v = w[k];
          if (!Float.isFinite(v)) {
            throw EdgeoptException.invalid(
                where + ": weight " + k + " is " + v + ", expected finite numbers");
          }
          m = Math.max(m, Math.abs(v));
        }
        absMax[c] = m;
      }
    }
    QuantParams params = QuantParams.perChannelSymmetric(absMax, axis, weightMax);
    float[] scales = params.scales();
    byte[] q = new byte[w.length];
    for (int o = 0; o < outer; o++) {
      for (int c = 0; c < channels; c++) {
        int base = (o * channels + c) * inner;
        double s = scales[c];
        for (int k = base; k < base + inner; k++) {
          double r = Math.rint(w[k] / s);
          q[k] = (byte) (r > weightMax ? weightMax : r < -weightMax ? -weightMax : r);
        }
      }
    }
    return new QuantizedWeights(q, params);
  }

  /**
   * Quantizes {@code w} to symmetric int8 with one scale for the whole
   * tensor, for kernels that take no per-channel weights (TFLite's FULLY_CONNECTED).
   *
   * @throws EdgeoptException (invalid input) when a weight is NaN or infinite
   */
  public static QuantizedWeights perTensor(float[] w, String where) throws EdgeoptException {
    return perTensor(w, QuantParams.INT8_WEIGHT_MAX, where);
  }

  /** Quantizes {@code w} to symmetric int8 in [-weightMax, weightMax] with one scale for the whole tensor. */
  public static QuantizedWeights perTensor(float[] w, int weightMax, String where)
      throws EdgeoptException {
    QuantizedWeights one = perChannel(w, new long[] {1, w.length}, 0, weightMax, where);
    QuantParams p = one.params();
    return new QuantizedWeights(
        one.values(), new QuantParams(p.scales(), p.zeroPoints(), -1, DataType.INT8));
  }

  /**
   * Returns the scales of a bias for an input scale and per-channel weight scales: the float32
   * product {@code inputScale * weightScales[c]}, as ONNX Runtime's integer kernels assume.
   */
  public static float[] biasScales(float inputScale, float[] weightScales, int count) {
    if (weightScales.length != 1 && weightScales.length != count) {
      throw new IllegalArgumentException(
          count + " bias values but " + weightScales.length + " weight scales");
    }
    float[] s = new float[count];
    for (int c = 0; c < count; c++) {
      s[c] = inputScale * weightScales[weightScales.length == 1 ? 0 : c];
    }
    return s;
  }

  /**
   * Quantizes a bias to int32 with the given per-channel scales (see {@link #biasScales}) and
   * zero point 0, rounding half to even and saturating at the int32 range.
   *
   * @throws EdgeoptException (invalid input) when a bias value is NaN or infinite
   */
  public static int[] bias(float[] b, float[] scales, String where) throws EdgeoptException {
    if (scales.length != b.length) {
      throw new IllegalArgumentException(
          where + ": " + b.length + " bias values but " + scales.length + " scales");
    }
    int[] q = new int[b.length];
    for (int c = 0; c < b.length; c++) {
      if (!Float.isFinite(b[c])) {
        throw EdgeoptException.invalid(
            where + ": bias " + c + " is " + b[c] + ", expected finite numbers");
      }
      double r = Math.rint(b[c] / (double) scales[c]);
      q[c] = (int) Math.max(Integer.MIN_VALUE, Math.min(Integer.MAX_VALUE, r));
    }
    return q;
  }

  /** Returns an int8 tensor holding quantized weights. */
  static Tensor int8Tensor(String name, long[] dims, byte[] values) {
    return Tensor.ofBytes(name, DataType.INT8, dims, values);
  }
}
