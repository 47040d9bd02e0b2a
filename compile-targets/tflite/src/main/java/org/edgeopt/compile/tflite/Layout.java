package org.edgeopt.compile.tflite;

/**
 * How the elements of a TFLite tensor are ordered relative to the ONNX value it stands for.
 *
 * <p>ONNX images are NCHW, TFLite's are NHWC, so every rank-4 activation is stored transposed;
 * no TRANSPOSE operator is ever emitted for it. Flattening an NHWC tensor whose channels and
 * spatial size both exceed 1 gives the features in HWC rather than CHW order: such a value is
 * kept as {@link Kind#FLAT_HWC} and the fully connected layer that reads it gets its weight
 * columns permuted instead.
 *
 * @param kind the ordering
 * @param c the channel count of a flattened value (0 otherwise)
 * @param h the height of a flattened value (0 otherwise)
 * @param w the width of a flattened value (0 otherwise)
 */
record Layout(Kind kind, int c, int h, int w) {

  /** The orderings. */
  enum Kind {
    /** Same dimensions and element order as the ONNX value. */
    AS_IS,
    /** An ONNX NCHW value stored NHWC. */
    NHWC,
    /** An ONNX {@code [N, C*H*W]} value stored with its features in HWC order. */
    FLAT_HWC
  }

  static final Layout AS_IS = new Layout(Kind.AS_IS, 0, 0, 0);
  static final Layout NHWC = new Layout(Kind.NHWC, 0, 0, 0);

  /** The TFLite dimension order of an ONNX NCHW tensor: TFLite dimension i is ONNX dimension PERM[i]. */
  static final int[] NCHW_TO_NHWC = {0, 2, 3, 1};

  /** Returns the layout of a flattened NHWC value. */
  static Layout flat(int c, int h, int w) {
    return new Layout(Kind.FLAT_HWC, c, h, w);
  }

  /** Returns the natural layout of an ONNX activation of the given rank. */
  static Layout natural(int rank) {
    return rank == 4 ? NHWC : AS_IS;
  }

  /** Returns the TFLite shape of an ONNX shape in this layout (unknown dimensions as 1). */
  int[] tfliteShape(long[] onnx) {
    long[] d = order(onnx);
    int[] s = new int[d.length];
    for (int i = 0; i < d.length; i++) {
      s[i] = d[i] < 0 ? 1 : Math.toIntExact(d[i]);
    }
    return s;
  }

  /** Returns the TFLite shape signature (-1 for unknown dimensions), or null when all are known. */
  int[] tfliteSignature(long[] onnx) {
    long[] d = order(onnx);
    boolean dynamic = false;
    int[] s = new int[d.length];
    for (int i = 0; i < d.length; i++) {
      s[i] = d[i] < 0 ? -1 : Math.toIntExact(d[i]);
      dynamic |= d[i] < 0;
    }
    return dynamic ? s : null;
  }

  /** Returns the ONNX dimensions in TFLite order. */
  long[] order(long[] onnx) {
    if (kind != Kind.NHWC) {
      return onnx.clone();
    }
    return permute(onnx, NCHW_TO_NHWC);
  }

  /** Returns the TFLite axis of an ONNX axis (negative axes counted from the end). */
  int axis(int onnxAxis, int rank) {
    int a = onnxAxis < 0 ? onnxAxis + rank : onnxAxis;
    if (kind != Kind.NHWC) {
      return a;
    }
    for (int i = 0; i < NCHW_TO_NHWC.length; i++) {
      if (NCHW_TO_NHWC[i] == a) {
        return i;
      }
    }
    throw new IllegalArgumentException("axis " + onnxAxis + " outside rank " + rank);
  }

  /** Returns {@code dims} reordered so that result[i] = dims[perm[i]]. */
  static long[] permute(long[] dims, int[] perm) {
    long[] out = new long[perm.length];
    for (int i = 0; i < perm.length; i++) {
      out[i] = dims[perm[i]];
    }
    return out;
  }

  /**
   * Returns the elements of a dense little-endian tensor transposed so that output dimension i
   * is input dimension {@code perm[i]}.
   */
  static byte[] transpose(byte[] data, int elementSize, long[] dims, int[] perm) {
    int rank = dims.length;
    long[] outDims = permute(dims, perm);
    long[] inStrides = new long[rank];
    long s = 1;
    for (int i = rank - 1; i >= 0; i--) {
      inStrides[i] = s;
      s *= dims[i];
    }
    int count = Math.toIntExact(s);
    byte[] out = new byte[count * elementSize];
    int[] idx = new int[rank];
    for (int o = 0; o < count; o++) {
      long src = 0;
      for (int i = 0; i < rank; i++) {
        src += idx[i] * inStrides[perm[i]];
      }
      System.arraycopy(data, (int) src * elementSize, out, o * elementSize, elementSize);
      for (int i = rank - 1; i >= 0; i--) {
        if (++idx[i] < outDims[i]) {
          break;
        }
        idx[i] = 0;
      }
    }
    return out;
  }
}
