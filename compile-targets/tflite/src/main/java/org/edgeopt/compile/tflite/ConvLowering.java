package org.edgeopt.compile.tflite;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import org.edgeopt.core.graph.DataType;
import org.edgeopt.core.graph.Node;
import org.tensorflow.lite.schema.BuiltinOperator;
import org.tensorflow.lite.schema.Padding;
import org.tensorflow.lite.schema.TensorType;

/**
 * Lowers the weighted operators: Conv to CONV_2D or DEPTHWISE_CONV_2D, Gemm and MatMul to
 * FULLY_CONNECTED, with int8 per-channel weights (zero point 0) and int32 biases whose scale is
 * input scale x weight scale, as the TFLite int8 specification demands.
 */
final class ConvLowering {
  private static final List<TfliteModel.Role> WEIGHTED =
      List.of(TfliteModel.Role.ACTIVATION, TfliteModel.Role.WEIGHT, TfliteModel.Role.BIAS);

  private ConvLowering() {}

  /** The padding of a window operator: SAME, VALID, or VALID after an explicit PAD. */
  record Pads(byte padding, int top, int bottom, int left, int right) {
    boolean explicit() {
      return top + bottom + left + right > 0;
    }
  }

  static void conv(LoweringContext cx, Node n) throws Unmappable {
    LoweringContext.TRef x = cx.act(n, 0);
    QdqView.Const w = cx.constant(n, 1);
    if (x.rank() != 4 || w.dims().length != 4) {
      throw new Unmappable(
          n,
          "only 2-D convolutions (rank-4 input and weights) map to CONV_2D; found input rank "
              + x.rank(),
          "reshape 1-D or 3-D convolutions to 2-D");
    }
    long[] wd = w.dims();
    long cin = x.onnxShape()[1];
    long group = n.intAttr("group", 1);
    boolean depthwise = group > 1 && group == cin && wd[1] == 1;
    if (group != 1 && !depthwise) {
      throw new Unmappable(
          n,
          "grouped convolution (group "
              + group
              + " of "
              + cin
              + " channels) has no TFLite int8 kernel"
              + " the Edge TPU runs",
          "use group 1 or a depthwise convolution (group = channels)");
    }
    int kh = (int) wd[2];
    int kw = (int) wd[3];
    long[] strides = n.intsAttr("strides", new long[] {1, 1});
    long[] dil = n.intsAttr("dilations", new long[] {1, 1});
    LoweringContext.Fusion f = cx.fusion(n);
    long[] outShape = cx.shape(n, n.output());
    Pads p =
        pads(
            n,
            x.onnxShape(),
            outShape,
            kh,
            kw,
            (int) strides[0],
            (int) strides[1],
            (int) dil[0],
            (int) dil[1]);
    LoweringContext.TRef in = p.explicit() ? pad(cx, n, x, p) : x;

    // Weights: OIHW -> OHWI (CONV_2D, channel dimension 0) or [C*M,1,H,W] -> [1,H,W,C*M]
    // (depthwise, dimension 3).
    int[] perm = depthwise ? new int[] {1, 2, 3, 0} : new int[] {0, 2, 3, 1};
    float[] wScales = weightScales(n, w, 0);
    byte[] wq = int8Weights(n, w, 0, wScales);
    byte[] wData = Layout.transpose(wq, 1, wd, perm);
    int[] wShape = toInt(Layout.permute(wd, perm));
    int wIndex =
        cx.addConstant(
            n.input(1),
            TensorType.INT8,
            wShape,
            wData,
            new TfliteModel.Quant(
                wScales, new long[wScales.length], depthwise && wScales.length > 1 ? 3 : 0));
    int bIndex = bias(cx, n, n.input(2), in.quant().scale(), wScales, (int) wd[0]);
    cx.emit(
        n,
        f.output(),
        outShape,
        Layout.NHWC,
        null,
        null,
        out -> {
          if (depthwise) {
            cx.op(
                BuiltinOperator.DEPTHWISE_CONV_2D,
                3,
                new int[] {in.index(), wIndex, bIndex},
                WEIGHTED,
                new int[] {out},
                new OpOptions.DepthwiseConv2D(
                    p.padding(),
                    (int) strides[1],
                    (int) strides[0],
                    (int) (wd[0] / cin),
                    f.code(),
                    (int) dil[1],
                    (int) dil[0]));
          } else {
            cx.op(
                BuiltinOperator.CONV_2D,
                3,
                new int[] {in.index(), wIndex, bIndex},
                WEIGHTED,
                new int[] {out},
                new OpOptions.Conv2D(
                    p.padding(),
                    (int) strides[1],
                    (int) strides[0],
                    f.code(),
                    (int) dil[1],
                    (int) dil[0]));
          }
        });
    markFused(cx, f);
  }

  /** Gemm (alpha, beta folded into the scales) and MatMul with a constant right-hand side. */
  static void fullyConnected(LoweringContext cx, Node n) throws Unmappable {
    boolean gemm = n.opType().equals("Gemm");
    LoweringContext.TRef a = cx.act(n, 0);
    if (!cx.isConstant(n, 1)) {
      throw new Unmappable(
          n,
          "the right-hand side '" + n.input(1) + "' is not a constant",
          "FULLY_CONNECTED needs constant weights");
    }
    if (a.rank() != 2 || (gemm && n.intAttr("transA", 0) != 0)) {
      throw new Unmappable(
          n,
          "FULLY_CONNECTED takes a 2-D, non-transposed left-hand side; found rank " + a.rank(),
          "flatten the input to [N, features] first");
    }
    QdqView.Const w = cx.constant(n, 1);
    if (w.dims().length != 2) {
      throw new Unmappable(
          n,
          "weights '" + w.name() + "' have rank " + w.dims().length + ", expected 2",
          "use 2-D weights");
    }
    boolean transB = gemm && n.intAttr("transB", 0) != 0;
    float alpha = gemm ? n.floatAttr("alpha", 1f) : 1f;
    float beta = gemm ? n.floatAttr("beta", 1f) : 1f;
    if (!(alpha > 0)) {
      throw new Unmappable(n, "alpha " + alpha + " is not positive", "fold alpha into the weights");
    }
    // TFLite wants [out, in]; ONNX Gemm with transB already is, MatMul and plain Gemm are [in,
    // out].
    int outAxis = transB ? 0 : 1;
    long[] wd = w.dims();
    int units = (int) wd[outAxis];
    int features = (int) wd[1 - outAxis];
    // The TFLite int8 specification (and the Edge TPU compiler) take FULLY_CONNECTED weights per
    // tensor.
    float[] wScales = perTensorScale(w);
    byte[] wq = int8Weights(n, w, outAxis, wScales);
    if (w.perChannel()) {
      cx.notes.add(
          n.name()
              + ": FULLY_CONNECTED weights '"
              + w.name()
              + "' requantized from per-channel to per-tensor"
              + " (scale "
              + wScales[0]
              + "), as the TFLite int8 specification requires");
    }
    byte[] wData = transB ? wq : Layout.transpose(wq, 1, wd, new int[] {1, 0});
    if (a.layout().kind() == Layout.Kind.FLAT_HWC) {
      wData = hwcColumns(wData, units, a.layout());
    }
    for (int i = 0; i < wScales.length; i++) {
      wScales[i] *= alpha;
    }
    int wIndex =
        cx.addConstant(
            n.input(1),
            TensorType.INT8,
            new int[] {units, features},
            wData,
            new TfliteModel.Quant(wScales, new long[wScales.length], 0));
    String biasName = gemm ? n.input(2) : "";
    int bIndex = bias(cx, n, biasName, a.quant().scale(), wScales, units, beta);
    LoweringContext.Fusion f = cx.fusion(n);
    cx.emit(
        n,
        f.output(),
        cx.shape(n, n.output()),
        Layout.AS_IS,
        null,
        null,
        out ->
            cx.op(
                BuiltinOperator.FULLY_CONNECTED,
                4,
                new int[] {a.index(), wIndex, bIndex},
                WEIGHTED,
                new int[] {out},
                new OpOptions.FullyConnected(f.code())));
    markFused(cx, f);
  }

  static void markFused(LoweringContext cx, LoweringContext.Fusion f) {
    if (f.node() != null) {
      cx.fusedNodes.add(f.node().name());
    }
  }

  /** Reorders FULLY_CONNECTED weight columns from ONNX's CHW feature order to the HWC order of the input. */
  private static byte[] hwcColumns(byte[] w, int units, Layout l) {
    int features = l.c() * l.h() * l.w();
    byte[] out = new byte[w.length];
    for (int u = 0; u < units; u++) {
      for (int y = 0; y < l.h(); y++) {
        for (int x = 0; x < l.w(); x++) {
          for (int c = 0; c < l.c(); c++) {
            int hwc = (y * l.w() + x) * l.c() + c;
            int chw = (c * l.h() + y) * l.w() + x;
            out[u * features + hwc] = w[u * features + chw];
          }
        }
      }
    }
    return out;
  }

  /** Returns the weight scales: the stored ones when int8 symmetric, else new per-channel symmetric ones. */
  static float[] weightScales(Node n, QdqView.Const w, int channelAxis) {
    if (storedSymmetricInt8(w, channelAxis)) {
      return w.scales().clone();
    }
    float[] real = w.real();
    int channels = (int) w.dims()[channelAxis];
    float[] absMax = new float[channels];
    int inner = inner(w.dims(), channelAxis);
    for (int i = 0; i < real.length; i++) {
      int c = (i / inner) % channels;
      absMax[c] = Math.max(absMax[c], Math.abs(real[i]));
    }
    float[] s = new float[channels];
    for (int c = 0; c < channels; c++) {
      s[c] = absMax[c] > 0 ? absMax[c] / 127f : 1f;
    }
    return s;
  }

  /** Returns the one scale of per-tensor symmetric weights: the stored one when it is, else max |w| / 127. */
  static float[] perTensorScale(QdqView.Const w) {
    if (w.type() == DataType.INT8 && w.quantized() && !w.perChannel() && w.zeroPoints()[0] == 0) {
      return w.scales().clone();
    }
    float absMax = 0;
    for (float v : w.real()) {
      absMax = Math.max(absMax, Math.abs(v));
    }
    return new float[] {absMax > 0 ? absMax / 127f : 1f};
  }

  /** Returns int8 weights for the given scales: the stored bytes when they already are, else requantized. */
  static byte[] int8Weights(Node n, QdqView.Const w, int channelAxis, float[] scales) {
    if (storedSymmetricInt8(w, channelAxis) && w.scales().length == scales.length) {
      return w.raw().clone();
    }
    float[] real = w.real();
    int inner = inner(w.dims(), channelAxis);
    byte[] out = new byte[real.length];
    for (int i = 0; i < real.length; i++) {
      int c = scales.length == 1 ? 0 : (i / inner) % scales.length;
      long q = (long) Math.rint(real[i] / (double) scales[c]);
      out[i] = (byte) Math.max(-127, Math.min(127, q));
    }
    return out;
  }

  private static boolean storedSymmetricInt8(QdqView.Const w, int channelAxis) {
    if (w.type() != DataType.INT8 || !w.quantized()) {
      return false;
    }
    for (long z : w.zeroPoints()) {
      if (z != 0) {
        return false;
      }
    }
    return !w.perChannel() || w.axis() == channelAxis;
  }

  private static int inner(long[] dims, int axis) {
    int inner = 1;
    for (int d = axis + 1; d < dims.length; d++) {
      inner *= (int) dims[d];
    }
    return inner;
  }

  static int bias(
      LoweringContext cx, Node n, String name, float inScale, float[] wScales, int units)
      throws Unmappable {
    return bias(cx, n, name, inScale, wScales, units, 1f);
  }

  /**
   * Adds the int32 bias (zeros when the node has none) with scale input scale x weight scale per
   * channel, computed in double as the TFLite kernels check it; a stored int32 bias is reused
   * when its scales already agree.
   */
  static int bias(
      LoweringContext cx,
      Node n,
      String name,
      float inScale,
      float[] wScales,
      int units,
      float beta)
      throws Unmappable {
    float[] scales = new float[wScales.length];
    for (int i = 0; i < scales.length; i++) {
      scales[i] = (float) ((double) inScale * (double) wScales[i]);
    }
    int[] q = new int[units];
    if (!name.isEmpty()) {
      QdqView.Const b =
          cx.view
              .constant(name)
              .orElseThrow(
                  () ->
                      new Unmappable(
                          n, "bias '" + name + "' is not a constant", "use a constant bias"));
      if (b.count() != units) {
        throw new Unmappable(
            n,
            "bias '" + name + "' has " + b.count() + " elements, expected " + units,
            "give one bias per output channel");
      }
      boolean reuse =
          beta == 1f
              && b.type() == DataType.INT32
              && b.quantized()
              && sameScales(b.scales(), scales, units);
      if (reuse) {
        ByteBuffer bb = ByteBuffer.wrap(b.raw()).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < units; i++) {
          q[i] = bb.getInt();
        }
      } else {
        float[] real = b.real();
        for (int i = 0; i < units; i++) {
          double v = Math.rint(beta * (double) real[i] / scales[scales.length == 1 ? 0 : i]);
          q[i] = (int) Math.max(Integer.MIN_VALUE, Math.min(Integer.MAX_VALUE, v));
        }
      }
    }
    ByteBuffer data = ByteBuffer.allocate(units * 4).order(ByteOrder.LITTLE_ENDIAN);
    for (int v : q) {
      data.putInt(v);
    }
    String tensorName = name.isEmpty() ? n.name() + "/bias" : name;
    return cx.addConstant(
        tensorName,
        TensorType.INT32,
        new int[] {units},
        data.array(),
        new TfliteModel.Quant(scales, new long[scales.length], 0));
  }

  private static boolean sameScales(float[] stored, float[] want, int units) {
    for (int i = 0; i < units; i++) {
      float s = stored[stored.length == 1 ? 0 : i];
      float w = want[want.length == 1 ? 0 : i];
      if (Math.abs(s - w) > 1e-5 * w) {
        return false;
      }
    }
    return true;
  }

  /**
   * Returns how the ONNX padding of a window operator maps: SAME or VALID when TFLite computes
   * the same windows, else the explicit padding that a PAD before a VALID operator must add.
   */
  static Pads pads(Node n, long[] in, long[] out, int kh, int kw, int sh, int sw, int dh, int dw)
      throws Unmappable {
    String autoPad = n.stringAttr("auto_pad", "NOTSET");
    if (autoPad.equals("VALID")) {
      return new Pads(Padding.VALID, 0, 0, 0, 0);
    }
    long[] p = n.intsAttr("pads", new long[] {0, 0, 0, 0});
    if (p.length != 4) {
      throw new Unmappable(
          n, "pads " + java.util.Arrays.toString(p) + " are not 2-D", "use 2-D pads");
    }
    long inH = in[2];
    long inW = in[3];
    long outH = out[2];
    long outW = out[3];
    boolean allZero = p[0] == 0 && p[1] == 0 && p[2] == 0 && p[3] == 0;
    if (inH < 0 || inW < 0 || outH < 0 || outW < 0) {
      if (allZero && autoPad.equals("NOTSET")) {
        return new Pads(Padding.VALID, 0, 0, 0, 0);
      }
      throw new Unmappable(
          n, "padding cannot be decided for unknown spatial sizes", "give the model static shapes");
    }
    int keH = (kh - 1) * dh + 1;
    int keW = (kw - 1) * dw + 1;
    long sameTotalH = Math.max((ceilDiv(inH, sh) - 1) * sh + keH - inH, 0);
    long sameTotalW = Math.max((ceilDiv(inW, sw) - 1) * sw + keW - inW, 0);
    long top = p[0];
    long left = p[1];
    if (autoPad.startsWith("SAME")) {
      top = autoPad.equals("SAME_UPPER") ? sameTotalH / 2 : sameTotalH - sameTotalH / 2;
      left = autoPad.equals("SAME_UPPER") ? sameTotalW / 2 : sameTotalW - sameTotalW / 2;
    }
    if (top == 0 && left == 0 && outH == (inH - keH) / sh + 1 && outW == (inW - keW) / sw + 1) {
      return new Pads(Padding.VALID, 0, 0, 0, 0);
    }
    if (top == sameTotalH / 2
        && left == sameTotalW / 2
        && outH == ceilDiv(inH, sh)
        && outW == ceilDiv(inW, sw)) {
      return new Pads(Padding.SAME, 0, 0, 0, 0);
    }
    // Explicit: pad what the windows actually read, then run VALID.
    long bottom = Math.max(0, (outH - 1) * sh + keH - inH - top);
    long right = Math.max(0, (outW - 1) * sw + keW - inW - left);
    return new Pads(Padding.VALID, (int) top, (int) bottom, (int) left, (int) right);
  }

  private static long ceilDiv(long a, long b) {
    return (a + b - 1) / b;
  }

  /** Adds a PAD (with the input's zero point, i.e. real 0) and returns the padded tensor. */
  static LoweringContext.TRef pad(LoweringContext cx, Node n, LoweringContext.TRef x, Pads p) {
    long[] s = x.onnxShape().clone();
    s[2] += p.top() + p.bottom();
    s[3] += p.left() + p.right();
    int paddings =
        cx.addInt32(
            n.name() + "/paddings",
            new int[] {4, 2},
            new int[] {0, 0, p.top(), p.bottom(), p.left(), p.right(), 0, 0});
    int t = cx.addActivation(n.name() + "/padded", s, Layout.NHWC, x.quant());
    cx.op(
        BuiltinOperator.PAD,
        2,
        new int[] {x.index(), paddings},
        List.of(TfliteModel.Role.ACTIVATION, TfliteModel.Role.PARAMETER),
        new int[] {t},
        new OpOptions.Pad());
    return new LoweringContext.TRef(t, x.quant(), Layout.NHWC, s);
  }

  static int[] toInt(long[] d) {
    int[] r = new int[d.length];
    for (int i = 0; i < d.length; i++) {
      r[i] = Math.toIntExact(d[i]);
    }
    return r;
  }
}
