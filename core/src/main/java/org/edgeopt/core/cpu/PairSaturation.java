package org.edgeopt.core.cpu;

/**
 * The arithmetic of uint8 x int8 dot products as the two x86 kernel families compute them: exact
 * int32 accumulation (VNNI, ARM64, AMX), and {@code VPMADDUBSW}, which first adds each pair of
 * adjacent products into an int16 that saturates at [-32,768, 32,767].
 *
 * <p>This is the rule a model must respect to compute the same integers on every CPU: if every
 * weight satisfies {@code 2 x 255 x |w| <= 32,767}, i.e. {@code |w| <= 64}, no pair can clamp.
 */
public final class PairSaturation {
  /** The largest pair sum an int16 holds. */
  public static final int INT16_MAX = Short.MAX_VALUE;

  /** The largest uint8 activation: ONNX Runtime turns int8 activations into uint8 on x86. */
  public static final int ACTIVATION_MAX = 255;

  /** The largest weight magnitude for which no pair sum can saturate: floor(32,767 / 510). */
  public static final int PORTABLE_WEIGHT_MAX = INT16_MAX / (2 * ACTIVATION_MAX);

  private PairSaturation() {}

  /** Returns {@code sum(a[i] * w[i])} accumulated exactly in int32 (VNNI, ARM64, AMX). */
  public static int dotExact(int[] a, int[] w) {
    check(a, w);
    int sum = 0;
    for (int i = 0; i < a.length; i++) {
      sum += a[i] * w[i];
    }
    return sum;
  }

  /**
   * Returns the dot product as {@code VPMADDUBSW} computes it: products of adjacent elements
   * {@code (2k, 2k+1)} are added and clamped to int16, then the clamped pairs are summed in int32.
   * An odd tail element forms a pair with an implicit zero, as the kernels pad K.
   */
  public static int dotSaturatingPairs(int[] a, int[] w) {
    check(a, w);
    int sum = 0;
    for (int i = 0; i < a.length; i += 2) {
      int pair = a[i] * w[i] + (i + 1 < a.length ? a[i + 1] * w[i + 1] : 0);
      sum += Math.max(Short.MIN_VALUE, Math.min(INT16_MAX, pair));
    }
    return sum;
  }

  /**
   * Returns the largest pair sum a layer with these int8 weights can form with uint8 activations
   * (an upper bound, independent of how a kernel orders K): {@code 255 x 2 x max|w|}.
   */
  public static int worstCasePairSum(int maxAbsWeight) {
    if (maxAbsWeight < 0 || maxAbsWeight > 128) {
      throw new IllegalArgumentException(
          "int8 weight magnitude must be within 0..128, found " + maxAbsWeight);
    }
    return 2 * ACTIVATION_MAX * maxAbsWeight;
  }

  /** Returns whether a layer whose weights are at most {@code maxAbsWeight} in magnitude can saturate. */
  public static boolean canSaturate(int maxAbsWeight) {
    return worstCasePairSum(maxAbsWeight) > INT16_MAX;
  }

  private static void check(int[] a, int[] w) {
    if (a.length != w.length) {
      throw new IllegalArgumentException(a.length + " activations but " + w.length + " weights");
    }
    for (int i = 0; i < a.length; i++) {
      if (a[i] < 0 || a[i] > ACTIVATION_MAX || w[i] < -128 || w[i] > 127) {
        throw new IllegalArgumentException(
            "element "
                + i
                + ": expected a uint8 activation and an int8 weight, found "
                + a[i]
                + " and "
                + w[i]);
      }
    }
  }
}
