package org.edgeopt.compile.tflite;

import java.util.Arrays;
import org.edgeopt.core.graph.Node;
import org.tensorflow.lite.schema.BuiltinOperator;

/**
 * Lowers the unweighted operators over the H and W axes of an NHWC activation: MaxPool and
 * AveragePool, GlobalAveragePool and ReduceMean, and Resize.
 */
final class SpatialLowering {
  private SpatialLowering() {}

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
                LoweringContext.ACTIVATION_ONLY,
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
                LoweringContext.ACTIVATION_AND_PARAMETER,
                new int[] {out},
                new OpOptions.Reducer(keepDims)));
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
        t ->
            cx.op(
                opcode,
                version,
                new int[] {x.index(), size},
                LoweringContext.ACTIVATION_AND_PARAMETER,
                new int[] {t},
                opts));
  }
}
