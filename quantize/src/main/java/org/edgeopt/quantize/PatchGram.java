package org.edgeopt.quantize;

import java.util.SplittableRandom;
import org.edgeopt.core.graph.Node;

/**
 * The Gram matrix {@code H = sum x x^T} of a convolution's input patches, one per group, over
 * sampled output positions: everything the output reconstruction error of a change to the
 * weights depends on. For weights {@code w} of one output channel and a change {@code e}, the
 * summed squared output change over the sampled positions is exactly {@code e^T H e}, because
 * a convolution is linear in its weights.
 *
 * <p>Positions are drawn per sample without replacement from a generator seeded once per layer,
 * so the same data in the same order gives the same matrix.
 */
final class PatchGram {
  private final int channels;
  private final int groups;
  private final int kh;
  private final int kw;
  private final int[] strides;
  private final int[] pads;
  private final int[] dilations;
  private final int positions;
  private final SplittableRandom random;

  /** One K x K row-major matrix per group, K = channels / groups * kh * kw. */
  private final double[][] gram;

  private long patches;

  /**
   * @param conv the Conv (2-D, explicit or no padding)
   * @param weightDims the weight's shape [M, C/group, kh, kw]
   * @param positions output positions sampled per sample (all of them when there are fewer)
   * @param seed the generator's seed
   */
  PatchGram(Node conv, long[] weightDims, int positions, long seed) {
    groups = (int) conv.intAttr("group", 1);
    channels = Math.toIntExact(weightDims[1]) * groups;
    kh = Math.toIntExact(weightDims[2]);
    kw = Math.toIntExact(weightDims[3]);
    strides = ints(conv.intsAttr("strides", new long[] {1, 1}));
    long[] p = conv.intsAttr("pads", new long[] {0, 0, 0, 0});
    pads = ints(p);
    dilations = ints(conv.intsAttr("dilations", new long[] {1, 1}));
    this.positions = positions;
    random = new SplittableRandom(seed);
    int k = patchSize();
    gram = new double[groups][k * k];
  }

  /** Returns K, the length of one group's patch (and of one output channel's weights). */
  int patchSize() {
    return channels / groups * kh * kw;
  }

  /** Returns the number of patches accumulated per group. */
  long patches() {
    return patches;
  }

  /** Returns group {@code g}'s matrix (row-major K x K, symmetric after {@link #complete()}); not a copy. */
  double[] gram(int g) {
    return gram[g];
  }

  /**
   * Adds the patches of one batch of the layer's input, NCHW, {@code dims} its shape.
   *
   * @throws IllegalArgumentException when the input's channel count is not the layer's
   */
  void add(float[] x, long[] dims) {
    if (dims.length != 4 || dims[1] != channels) {
      throw new IllegalArgumentException(
          "expected an NCHW input with "
              + channels
              + " channels, found "
              + java.util.Arrays.toString(dims));
    }
    int n = Math.toIntExact(dims[0]);
    int h = Math.toIntExact(dims[2]);
    int w = Math.toIntExact(dims[3]);
    int oh = (h + pads[0] + pads[2] - dilations[0] * (kh - 1) - 1) / strides[0] + 1;
    int ow = (w + pads[1] + pads[3] - dilations[1] * (kw - 1) - 1) / strides[1] + 1;
    int all = oh * ow;
    int k = patchSize();
    int cg = channels / groups;
    int take = Math.min(positions, all);
    // The sample's patches, one row each, then H += X^T X over them in blocks of rows of H,
    // so that a block of H stays in cache while every patch passes over it.
    double[] xs = new double[take * k];
    for (int s = 0; s < n; s++) {
      int[] chosen = choose(all, take);
      for (int g = 0; g < groups; g++) {
        for (int p = 0; p < take; p++) {
          int oy = chosen[p] / ow;
          int ox = chosen[p] % ow;
          int i = p * k;
          for (int c = 0; c < cg; c++) {
            int plane = ((s * channels) + g * cg + c) * h * w;
            for (int ky = 0; ky < kh; ky++) {
              int iy = oy * strides[0] - pads[0] + ky * dilations[0];
              for (int kx = 0; kx < kw; kx++) {
                int ix = ox * strides[1] - pads[1] + kx * dilations[1];
                xs[i++] = iy < 0 || iy >= h || ix < 0 || ix >= w ? 0 : x[plane + iy * w + ix];
              }
            }
          }
        }
        accumulate(gram[g], xs, take, k);
      }
      patches += take;
    }
  }

  /** Adds {@code X^T X} to the upper triangle of {@code m}; X is {@code rows x k}, row-major. */
  private static void accumulate(double[] m, double[] xs, int rows, int k) {
    final int block = 16;
    for (int r0 = 0; r0 < k; r0 += block) {
      int r1 = Math.min(k, r0 + block);
      for (int p = 0; p < rows; p++) {
        int base = p * k;
        for (int r = r0; r < r1; r++) {
          double a = xs[base + r];
          if (a == 0) {
            continue; // ReLU outputs are mostly zeros
          }
          int row = r * k;
          // A plain axpy over the rest of the row: the JIT vectorizes it.
          for (int c = r; c < k; c++) {
            m[row + c] += a * xs[base + c];
          }
        }
      }
    }
  }

  /** Makes every matrix symmetric from its upper triangle; call once after the last {@link #add}. */
  void complete() {
    int k = patchSize();
    for (double[] m : gram) {
      for (int r = 0; r < k; r++) {
        for (int c = 0; c < r; c++) {
          m[r * k + c] = m[c * k + r];
        }
      }
    }
  }

  /** Returns {@code take} distinct positions of {@code all}, in increasing order (partial Fisher-Yates). */
  private int[] choose(int all, int take) {
    int[] idx = new int[all];
    for (int i = 0; i < all; i++) {
      idx[i] = i;
    }
    if (take < all) {
      for (int i = 0; i < take; i++) {
        int j = i + random.nextInt(all - i);
        int t = idx[i];
        idx[i] = idx[j];
        idx[j] = t;
      }
    }
    int[] out = java.util.Arrays.copyOf(idx, take);
    java.util.Arrays.sort(out);
    return out;
  }

  private static int[] ints(long[] v) {
    int[] out = new int[v.length];
    for (int i = 0; i < v.length; i++) {
      out[i] = Math.toIntExact(v[i]);
    }
    return out;
  }
}
