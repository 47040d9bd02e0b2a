package org.edgeopt.compile.tflite;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.edgeopt.core.graph.Node;
import org.edgeopt.core.graph.Tensor;
import org.tensorflow.lite.schema.ActivationFunctionType;
import org.tensorflow.lite.schema.BuiltinOperator;

/**
 * Lowers the unweighted operators that move values rather than compute them: Concat, the
 * Reshape family, Pad, and Identity and Dropout.
 */
final class ShapeLowering {
  private ShapeLowering() {}

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
                LoweringContext.ACTIVATION_AND_PARAMETER,
                new int[] {t},
                new OpOptions.Reshape(tfShape)));
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
                LoweringContext.ACTIVATION_AND_PARAMETER,
                new int[] {t},
                new OpOptions.Pad()));
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
