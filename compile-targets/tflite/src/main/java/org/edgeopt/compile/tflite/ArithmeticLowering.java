package org.edgeopt.compile.tflite;

import java.util.Arrays;
import java.util.List;
import org.edgeopt.core.graph.Node;
import org.tensorflow.lite.schema.ActivationFunctionType;
import org.tensorflow.lite.schema.BuiltinOperator;
import org.tensorflow.lite.schema.TensorType;

/**
 * Lowers the unweighted operators that compute new values from their inputs without a window:
 * elementwise Add, Sub and Mul, the activations Relu and Clip, and Softmax.
 */
final class ArithmeticLowering {
  private ArithmeticLowering() {}

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
                LoweringContext.ACTIVATION_ONLY,
                new int[] {out},
                new OpOptions.None()));
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
                LoweringContext.ACTIVATION_ONLY,
                new int[] {t},
                new OpOptions.Softmax(1f)));
  }
}
