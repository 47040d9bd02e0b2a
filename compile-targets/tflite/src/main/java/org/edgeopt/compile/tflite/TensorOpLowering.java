package org.edgeopt.compile.tflite;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.edgeopt.core.graph.Node;
import org.edgeopt.core.graph.Tensor;
import org.tensorflow.lite.schema.ActivationFunctionType;
import org.tensorflow.lite.schema.BuiltinOperator;
import org.tensorflow.lite.schema.TensorType;

/**
 * Lowers the unweighted operators: elementwise arithmetic, activations, pooling, concatenation,
 * reshapes, softmax, padding and resizing.
 */
final class TensorOpLowering {
  private static final List<TfliteModel.Role> ONE = List.of(TfliteModel.Role.ACTIVATION);
  private static final List<TfliteModel.Role> WITH_PARAM =
      List.of(TfliteModel.Role.ACTIVATION, TfliteModel.Role.PARAMETER);

  private TensorOpLowering() {}

  /** Add, Sub, Mul with numpy broadcasting; a constant operand becomes an int8 constant tensor. */
  static void binary(LoweringContext cx, Node n) throws Unmappable {
    boolean c0 = cx.isConstant(n, 0);
    boolean c1 = cx.isConstant(n, 1);
    if (c0 && c1) {
      throw new Unmappable(
          n, "both operands are constants", "fold the constant expression (edgeopt ingest does)");
    }
    long[] outShape = cx.shape(n, n.output());
    Layout layout = Layout.natural(outShape.length);
    LoweringContext.TRef a = c0 ? null : cx.act(n, 0);
    LoweringContext.TRef b = c1 ? null : cx.act(n, 1);
    for (LoweringContext.TRef r : new LoweringContext.TRef[] {a, b}) {
      if (r == null) {
        continue;
      }
      if (r.layout().kind() == Layout.Kind.FLAT_HWC) {
        layout = r.layout();
      } else if (r.rank() != outShape.length && layout.kind() == Layout.Kind.NHWC) {
        throw new Unmappable(
            n,
            "broadcasting a rank-" + r.rank() + " activation against a rank-4 NCHW activation",
            "broadcast with matching ranks, or make the smaller operand a constant");
      }
    }
    if (a != null && b != null && !a.layout().equals(b.layout())) {
      throw new Unmappable(
          n,
          "its operands are in different layouts ("
              + a.layout().kind()
              + ", "
              + b.layout().kind()
              + ")",
          "keep both operands in the same layout");
    }
    int ia = a != null ? a.index() : constOperand(cx, n, 0, outShape.length, layout);
    int ib = b != null ? b.index() : constOperand(cx, n, 1, outShape.length, layout);
    LoweringContext.Fusion f = cx.fusion(n);
    int opcode =
        switch (n.opType()) {
          case "Add" -> BuiltinOperator.ADD;
          case "Sub" -> BuiltinOperator.SUB;
          default -> BuiltinOperator.MUL;
        };
    OpOptions opts =
        switch (n.opType()) {
          case "Add" -> new OpOptions.Add(f.code());
          case "Sub" -> new OpOptions.Sub(f.code());
          default -> new OpOptions.Mul(f.code());
        };
    List<TfliteModel.Role> roles =
        List.of(
            a != null ? TfliteModel.Role.ACTIVATION : TfliteModel.Role.WEIGHT,
            b != null ? TfliteModel.Role.ACTIVATION : TfliteModel.Role.WEIGHT);
    cx.emit(
        n,
        f.output(),
        outShape,
        layout,
        null,
        null,
        out -> cx.op(opcode, 2, new int[] {ia, ib}, roles, new int[] {out}, opts));
    ConvLowering.markFused(cx, f);
  }

  /** A constant operand: int8 per tensor, broadcast-aligned and reordered like the activation it meets. */
  private static int constOperand(LoweringContext cx, Node n, int i, int outRank, Layout layout)
      throws Unmappable {
    QdqView.Const c = cx.constant(n, i);
    float[] real = c.real();
    byte[] q;
    TfliteModel.Quant quant;
    if (c.type() == org.edgeopt.core.graph.DataType.INT8 && c.quantized() && !c.perChannel()) {
      q = c.raw().clone();
      quant = TfliteModel.Quant.of(c.scales()[0], c.zeroPoints()[0]);
    } else {
      float lo = 0;
      float hi = 0;
      for (float v : real) {
        lo = Math.min(lo, v);
        hi = Math.max(hi, v);
      }
      float scale = hi > lo ? (hi - lo) / 255f : 1f;
      long zp = Math.max(-128, Math.min(127, Math.round(-128 - lo / scale)));
      quant = TfliteModel.Quant.of(scale, zp);
      q = new byte[real.length];
      for (int k = 0; k < real.length; k++) {
        q[k] = (byte) Math.max(-128, Math.min(127, Math.rint(real[k] / scale) + zp));
      }
    }
    long[] dims = c.dims();
    if (layout.kind() == Layout.Kind.FLAT_HWC && c.count() > 1) {
      throw new Unmappable(
          n,
          "a constant operand meets a flattened channel-last tensor",
          "apply the constant before flattening");
    }
    if (layout.kind() == Layout.Kind.NHWC && dims.length > 0) {
      long[] four = new long[4];
      Arrays.fill(four, 1);
      System.arraycopy(dims, 0, four, 4 - dims.length, dims.length);
      q = Layout.transpose(q, 1, four, Layout.NCHW_TO_NHWC);
      dims = Layout.permute(four, Layout.NCHW_TO_NHWC);
    }
    return cx.addConstant(c.name(), TensorType.INT8, ConvLowering.toInt(dims), q, quant);
  }

  /** A standalone Relu or Clip: RELU, RELU6 or RELU_N1_TO_1. */
  static void activation(LoweringContext cx, Node n) throws Unmappable {
    byte code = cx.activationCode(n);
    int opcode;
    if (code == ActivationFunctionType.RELU) {
      opcode = BuiltinOperator.RELU;
    } else if (code == ActivationFunctionType.RELU6) {
      opcode = BuiltinOperator.RELU6;
    } else if (code == ActivationFunctionType.RELU_N1_TO_1) {
      opcode = BuiltinOperator.RELU_N1_TO_1;
    } else {
      throw new Unmappable(
          n,
          "Clip bounds other than [0, 6], [-1, 1] or [0, inf) have no TFLite activation",
          "clip to [0, 6] (ReLU6) or let the output quantization range do the clipping");
    }
    LoweringContext.TRef x = cx.act(n, 0);
    cx.emit(
        n,
        n.output(),
        x.onnxShape(),
        x.layout(),
        null,
        null,
        out ->
            cx.op(
                opcode,
                opcode == BuiltinOperator.RELU_N1_TO_1 ? 1 : 2,
                new int[] {x.index()},
                ONE,
                new int[] {out},
                new OpOptions.None()));
  }

  /** MaxPool and AveragePool: MAX_POOL_2D / AVERAGE_POOL_2D, inputs and outputs sharing parameters. */
  static void pool(LoweringContext cx, Node n) throws Unmappable {
    boolean max = n.opType().equals("MaxPool");
    LoweringContext.TRef x = cx.act(n, 0);
    long[] k = n.intsAttr("kernel_shape", new long[0]);
    if (x.rank() != 4 || k.length != 2) {
      throw new Unmappable(
          n,
          "only 2-D pooling maps to " + (max ? "MAX_POOL_2D" : "AVERAGE_POOL_2D"),
          "pool over two spatial dimensions");
    }
    long[] d = n.intsAttr("dilations", new long[] {1, 1});
    if (d[0] != 1 || d[1] != 1) {
      throw new Unmappable(n, "dilated pooling has no TFLite kernel", "use dilation 1");
    }
    if (n.outputs().size() > 1 && !n.outputs().get(1).isEmpty()) {
      throw new Unmappable(
          n, "the Indices output of MaxPool has no TFLite equivalent", "drop the second output");
    }
    long[] s = n.intsAttr("strides", new long[] {1, 1});
    long[] outShape = cx.shape(n, n.output());
    ConvLowering.Pads p =
        ConvLowering.pads(
            n, x.onnxShape(), outShape, (int) k[0], (int) k[1], (int) s[0], (int) s[1], 1, 1);
    LoweringContext.TRef in = x;
    if (p.explicit()) {
      // Padding with the zero point is exact only where real 0 is the smallest value (max) or is
      // counted (average).
      boolean exact = max ? x.quant().zeroPoint() == -128 : n.intAttr("count_include_pad", 0) == 1;
      if (!exact) {
        throw new Unmappable(
            n,
            "its padding is neither SAME nor VALID and cannot be padded exactly",
            max
                ? "pad after a ReLU, or use SAME/VALID padding"
                : "use SAME/VALID padding or count_include_pad=1");
      }
      in = ConvLowering.pad(cx, n, x, p);
    }
    LoweringContext.TRef src = in;
    LoweringContext.Fusion f = cx.fusion(n);
    cx.emit(
        n,
        f.output(),
        outShape,
        Layout.NHWC,
        src.quant(),
        null,
        out ->
            cx.op(
                max ? BuiltinOperator.MAX_POOL_2D : BuiltinOperator.AVERAGE_POOL_2D,
                2,
                new int[] {src.index()},
                ONE,
                new int[] {out},
                new OpOptions.Pool2D(
                    p.padding(), (int) s[1], (int) s[0], (int) k[1], (int) k[0], f.code())));
    ConvLowering.markFused(cx, f);
  }

  /** GlobalAveragePool, or ReduceMean over H and W with keepdims: MEAN over NHWC axes 1 and 2. */
  static void mean(LoweringContext cx, Node n) throws Unmappable {
    LoweringContext.TRef x = cx.act(n, 0);
    if (x.rank() != 4) {
      throw new Unmappable(
          n, "only the mean over H and W of a rank-4 tensor maps to MEAN", "reduce a 4-D tensor");
    }
    boolean keep = true;
    if (n.opType().equals("ReduceMean")) {
      long[] axes = n.intsAttr("axes", null);
      if (axes == null && !n.input(1).isEmpty()) {
        float[] a = cx.view.constantReal(n.input(1)).orElse(null);
        axes = a == null ? null : new long[a.length];
        for (int i = 0; a != null && i < a.length; i++) {
          axes[i] = (long) a[i];
        }
      }
      long[] norm =
          axes == null ? null : Arrays.stream(axes).map(v -> v < 0 ? v + 4 : v).sorted().toArray();
      if (norm == null || !Arrays.equals(norm, new long[] {2, 3})) {
        throw new Unmappable(
            n,
            "ReduceMean over axes " + Arrays.toString(axes) + " (only H and W map to MEAN)",
            "reduce over axes [2, 3]");
      }
      keep = n.intAttr("keepdims", 1) != 0;
    }
    long[] outShape = cx.shape(n, n.output());
    int axes = cx.addInt32(n.name() + "/axes", new int[] {2}, new int[] {1, 2});
    boolean keepDims = keep;
    Layout layout = keep ? Layout.NHWC : Layout.AS_IS;
    cx.emit(
        n,
        n.output(),
        outShape,
        layout,
        null,
        null,
        out ->
            cx.op(
                BuiltinOperator.MEAN,
                2,
                new int[] {x.index(), axes},
                WITH_PARAM,
                new int[] {out},
                new OpOptions.Reducer(keepDims)));
  }

  /** Concat: CONCATENATION on the remapped axis, every input requantized to the output's parameters. */
  static void concat(LoweringContext cx, Node n) throws Unmappable {
    long[] outShape = cx.shape(n, n.output());
    List<LoweringContext.TRef> ins = new ArrayList<>();
    for (int i = 0; i < n.inputs().size(); i++) {
      LoweringContext.TRef r = cx.act(n, i);
      if (!r.layout().equals(Layout.natural(outShape.length))) {
        throw new Unmappable(
            n,
            "input '" + n.input(i) + "' is a flattened channel-last tensor",
            "concatenate before flattening");
      }
      ins.add(r);
    }
    List<org.edgeopt.core.graph.Node> qs = cx.view.quantizers(n.output());
    TfliteModel.Quant out = qs.isEmpty() ? ins.get(0).quant() : cx.view.activationQuant(qs.get(0));
    int[] idx = new int[ins.size()];
    List<TfliteModel.Role> roles = new ArrayList<>();
    for (int i = 0; i < ins.size(); i++) {
      LoweringContext.TRef r = ins.get(i);
      idx[i] =
          r.quant().sameAs(out)
              ? r.index()
              : cx.requantize(r, out, n.input(i) + "/for_" + n.name()).index();
      roles.add(TfliteModel.Role.ACTIVATION);
    }
    Layout layout = Layout.natural(outShape.length);
    int axis = layout.axis((int) n.intAttr("axis", 1), outShape.length);
    cx.emit(
        n,
        n.output(),
        outShape,
        layout,
        out,
        null,
        t ->
            cx.op(
                BuiltinOperator.CONCATENATION,
                2,
                idx,
                roles,
                new int[] {t},
                new OpOptions.Concatenation(axis, ActivationFunctionType.NONE)));
  }

  /**
   * Reshape, Flatten, Squeeze, Unsqueeze: RESHAPE where the element order does not change between
   * NCHW and NHWC; a full flatten of an NHWC tensor becomes a {@link Layout.Kind#FLAT_HWC} value.
   */
  static void reshape(LoweringContext cx, Node n) throws Unmappable {
    LoweringContext.TRef x = cx.act(n, 0);
    long[] in = x.onnxShape();
    long[] out = cx.shape(n, n.output());
    for (long d : out) {
      if (d < 0) {
        throw new Unmappable(
            n,
            "the target shape " + Arrays.toString(out) + " is not static",
            "give the model static shapes");
      }
    }
    Layout outLayout;
    switch (x.layout().kind()) {
      case NHWC -> {
        boolean orderKept = in[1] == 1 || in[2] * in[3] == 1;
        if (out.length == 4 && orderKept && (out[1] == 1 || out[2] * out[3] == 1)) {
          outLayout = Layout.NHWC;
        } else if (orderKept && out.length != 4) {
          outLayout = Layout.AS_IS;
        } else if (out.length == 2 && out[0] == in[0] && out[1] == in[1] * in[2] * in[3]) {
          outLayout = Layout.flat((int) in[1], (int) in[2], (int) in[3]);
        } else if (Arrays.equals(in, out)) {
          outLayout = Layout.NHWC;
        } else {
          throw new Unmappable(
              n,
              "reshaping NCHW "
                  + Arrays.toString(in)
                  + " to "
                  + Arrays.toString(out)
                  + " reorders elements and would need a TRANSPOSE",
              "flatten to [N, C*H*W] before a Gemm instead");
        }
      }
      case FLAT_HWC -> {
        if (!Arrays.equals(in, out)) {
          throw new Unmappable(
              n,
              "reshaping a flattened channel-last tensor to "
                  + Arrays.toString(out)
                  + " would need a TRANSPOSE",
              "feed the flattened tensor straight into a Gemm");
        }
        outLayout = x.layout();
      }
      default -> {
        if (out.length == 4 && out[1] != 1 && out[2] * out[3] != 1) {
          throw new Unmappable(
              n,
              "reshaping to NCHW "
                  + Arrays.toString(out)
                  + " with both channels and pixels"
                  + " would need a TRANSPOSE",
              "reshape to [N, C, 1, 1] or [N, 1, H, W]");
        }
        outLayout = Layout.natural(out.length);
      }
    }
    int[] tfShape = outLayout.tfliteShape(out);
    int shapeTensor = cx.addInt32(n.name() + "/shape", new int[] {tfShape.length}, tfShape);
    cx.emit(
        n,
        n.output(),
        out,
        outLayout,
        x.quant(),
        null,
        t ->
            cx.op(
                BuiltinOperator.RESHAPE,
                1,
                new int[] {x.index(), shapeTensor},
                WITH_PARAM,
                new int[] {t},
                new OpOptions.Reshape(tfShape)));
  }

  /** Softmax over the channel (last TFLite) axis; output parameters (1/256, -128) as TFLite requires. */
  static void softmax(LoweringContext cx, Node n) throws Unmappable {
    LoweringContext.TRef x = cx.act(n, 0);
    int rank = x.rank();
    int axis = (int) n.intAttr("axis", cx.graph.opset() >= 13 ? -1 : 1);
    int tfAxis = x.layout().axis(axis, rank);
    boolean coerced2d = cx.graph.opset() < 13 && rank > 2;
    if (tfAxis != rank - 1
        || coerced2d
            && !(x.layout().kind() == Layout.Kind.NHWC
                && axis == 1
                && x.onnxShape()[2] * x.onnxShape()[3] == 1)) {
      throw new Unmappable(
          n,
          "softmax over axis "
              + axis
              + " of a rank-"
              + rank
              + " tensor is not over the last"
              + " TFLite axis",
          "apply Softmax to the class axis (channels, or the last axis of [N, classes])");
    }
    cx.emit(
        n,
        n.output(),
        cx.shape(n, n.output()),
        x.layout(),
        null,
        TfliteModel.Quant.of(1f / 256f, -128),
        t ->
            cx.op(
                BuiltinOperator.SOFTMAX,
                2,
                new int[] {x.index()},
                ONE,
                new int[] {t},
                new OpOptions.Softmax(1f)));
  }

  /** Pad (constant mode, zero value): PAD with the paddings remapped to NHWC. */
  static void pad(LoweringContext cx, Node n) throws Unmappable {
    LoweringContext.TRef x = cx.act(n, 0);
    if (!n.stringAttr("mode", "constant").equals("constant")) {
      throw new Unmappable(
          n, "mode '" + n.stringAttr("mode", "") + "' has no Edge TPU kernel", "pad with zeros");
    }
    long[] pads;
    if (cx.graph.opset() < 11) {
      pads = n.intsAttr("pads", new long[0]);
      if (n.floatAttr("value", 0f) != 0f) {
        throw new Unmappable(
            n, "padding value " + n.floatAttr("value", 0f) + " is not 0", "pad with zeros");
      }
    } else {
      if (n.inputs().size() > 3 && !n.input(3).isEmpty()) {
        throw new Unmappable(n, "the axes input is not supported", "give pads for every axis");
      }
      pads =
          toLongs(
              cx.view
                  .constantReal(n.input(1))
                  .orElseThrow(
                      () ->
                          new Unmappable(
                              n,
                              "pads '" + n.input(1) + "' are not constant",
                              "use constant pads")));
      float[] v = cx.view.constantReal(n.input(2)).orElse(new float[] {0f});
      // A Pad of quantized values (QuantizeLinear -> Pad -> DequantizeLinear, as a quantizer pads
      // channels for ONNX Runtime) pads with its zero point, the quantized form of 0.
      Node q =
          cx.graph
              .producer(n.input(0))
              .filter(p -> p.opType().equals("QuantizeLinear"))
              .orElse(null);
      Tensor zp =
          q == null || q.inputs().size() < 3 ? null : cx.graph.initializers().get(q.input(2));
      float zero = zp == null ? 0f : zp.toFloats()[0];
      if (v[0] != zero) {
        throw new Unmappable(
            n,
            "padding value " + v[0] + " is not " + (q == null ? "0" : "the zero point " + zero),
            "pad with zeros");
      }
    }
    int rank = x.rank();
    if (pads.length != 2 * rank || x.layout().kind() == Layout.Kind.FLAT_HWC) {
      throw new Unmappable(
          n,
          "pads " + Arrays.toString(pads) + " do not fit a rank-" + rank + " tensor",
          "give 2 pads per axis");
    }
    long[] begin = Arrays.copyOfRange(pads, 0, rank);
    long[] end = Arrays.copyOfRange(pads, rank, 2 * rank);
    long[] b = x.layout().order(begin);
    long[] e = x.layout().order(end);
    int[] paddings = new int[2 * rank];
    for (int i = 0; i < rank; i++) {
      if (b[i] < 0 || e[i] < 0) {
        throw new Unmappable(n, "negative pads (cropping) are not supported", "use Slice to crop");
      }
      paddings[2 * i] = (int) b[i];
      paddings[2 * i + 1] = (int) e[i];
    }
    int pt = cx.addInt32(n.name() + "/paddings", new int[] {rank, 2}, paddings);
    cx.emit(
        n,
        n.output(),
        cx.shape(n, n.output()),
        x.layout(),
        x.quant(),
        null,
        t ->
            cx.op(
                BuiltinOperator.PAD,
                2,
                new int[] {x.index(), pt},
                WITH_PARAM,
                new int[] {t},
                new OpOptions.Pad()));
  }

  /** Resize of H and W: RESIZE_BILINEAR (linear) or RESIZE_NEAREST_NEIGHBOR (nearest). */
  static void resize(LoweringContext cx, Node n) throws Unmappable {
    LoweringContext.TRef x = cx.act(n, 0);
    long[] in = x.onnxShape();
    long[] out = cx.shape(n, n.output());
    if (x.rank() != 4 || out[0] != in[0] || out[1] != in[1] || out[2] < 0 || out[3] < 0) {
      throw new Unmappable(
          n,
          "only resizing H and W of a static rank-4 tensor maps to TFLite",
          "resize spatial dimensions only, with static sizes");
    }
    String mode = n.stringAttr("mode", "nearest");
    String coord = n.stringAttr("coordinate_transformation_mode", "half_pixel");
    String nearest = n.stringAttr("nearest_mode", "round_prefer_floor");
    OpOptions opts;
    int opcode;
    if (mode.equals("linear")) {
      opcode = BuiltinOperator.RESIZE_BILINEAR;
      opts =
          switch (coord) {
            case "half_pixel", "pytorch_half_pixel" -> new OpOptions.ResizeBilinear(false, true);
            case "align_corners" -> new OpOptions.ResizeBilinear(true, false);
            case "asymmetric" -> new OpOptions.ResizeBilinear(false, false);
            default ->
                throw new Unmappable(
                    n,
                    "linear resize with coordinate mode '" + coord + "' has no TFLite kernel",
                    "use half_pixel, align_corners or asymmetric");
          };
    } else if (mode.equals("nearest")) {
      opcode = BuiltinOperator.RESIZE_NEAREST_NEIGHBOR;
      if (coord.equals("asymmetric") && nearest.equals("floor")) {
        opts = new OpOptions.ResizeNearest(false, false);
      } else if (coord.equals("half_pixel") && nearest.equals("round_prefer_ceil")) {
        opts = new OpOptions.ResizeNearest(false, true);
      } else {
        throw new Unmappable(
            n,
            "nearest resize with coordinate mode '"
                + coord
                + "' and rounding '"
                + nearest
                + "' picks other pixels than TFLite",
            "use asymmetric + floor (PyTorch's nearest) or half_pixel + " + "round_prefer_ceil");
      }
    } else {
      throw new Unmappable(
          n, "resize mode '" + mode + "' has no TFLite kernel", "use nearest or linear");
    }
    int size =
        cx.addInt32(n.name() + "/size", new int[] {2}, new int[] {(int) out[2], (int) out[3]});
    int version =
        opts instanceof OpOptions.ResizeBilinear r && r.halfPixelCenters()
                || opts instanceof OpOptions.ResizeNearest r2 && r2.halfPixelCenters()
            ? 3
            : 2;
    cx.emit(
        n,
        n.output(),
        out,
        Layout.NHWC,
        x.quant(),
        null,
        t -> cx.op(opcode, version, new int[] {x.index(), size}, WITH_PARAM, new int[] {t}, opts));
  }

  private static long[] toLongs(float[] f) {
    long[] r = new long[f.length];
    for (int i = 0; i < f.length; i++) {
      r[i] = (long) f[i];
    }
    return r;
  }

  /** Identity and Dropout (inference): the output is the input. */
  static void passThrough(LoweringContext cx, Node n) throws Unmappable {
    cx.alias(n.output(), cx.act(n, 0));
  }
}
