package org.edgeopt.quantize;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.edgeopt.core.graph.Graph;
import org.edgeopt.core.graph.GraphBuilder;
import org.edgeopt.core.graph.Node;
import org.edgeopt.core.graph.Tensor;

/**
 * Pads the input channels of quantized convolutions to a multiple of N with zero weights, for
 * targets whose fast integer convolution needs it.
 *
 * <p>Why: ONNX Runtime's fastest int8 convolution on x86 (MLAS's symmetric indirect kernel, VNNI)
 * takes only input-channel counts divisible by 4; any other count falls back to im2col and a
 * generic integer GEMM. The first layer of an image model has 3 channels (RGB) or 1 (grayscale):
 * on SqueezeNet that one layer took 38% of the INT8 time, three times its FP32 time. Padding its
 * quantized input with the zero point (real 0) and its weights with zero channels changes no
 * number the layer computes.
 *
 * <p>The rewrite, for a group-1 Conv reading {@code DequantizeLinear(x_q)} with int8 weights
 * {@code DequantizeLinear(W_q)} of shape {@code [M, C, kh, kw]}, {@code C % N != 0}:
 * {@code x_q -> Pad(channels +k, value = x's zero point) -> DequantizeLinear -> Conv} and
 * {@code W_q} becomes {@code [M, C + k, kh, kw]} with zeros in the new channels. The integer
 * kernel fusion (DQ -> Conv -> Q) is unchanged.
 */
public final class ChannelPadding {
  private ChannelPadding() {}

  /**
   * The padded graph and one line per padded convolution.
   *
   * @param graph the rewritten graph (the input graph when nothing was padded)
   * @param changes what was padded, e.g. {@code conv1: input channels 3 -> 4 (zero weights)}
   */
  public record Result(Graph graph, List<String> changes) {
    public Result {
      changes = List.copyOf(changes);
    }
  }

  /** Pads every eligible convolution of a QDQ graph to a multiple of {@code multiple} input channels. */
  public static Result apply(Graph g, int multiple) {
    if (multiple <= 1) {
      return new Result(g, List.of());
    }
    Map<String, List<Node>> consumers = g.consumers();
    GraphBuilder b = new GraphBuilder(g);
    List<String> changes = new ArrayList<>();
    for (Node conv : g.nodes()) {
      if (!conv.opType().equals("Conv") || conv.intAttr("group", 1) != 1) {
        continue;
      }
      Node xdq = g.producer(conv.input(0)).orElse(null);
      Node wdq = g.producer(conv.input(1)).orElse(null);
      if (!isDequantize(xdq)
          || !isDequantize(wdq)
          || consumers.getOrDefault(xdq.output(), List.of()).size() != 1
          || consumers.getOrDefault(wdq.output(), List.of()).size() != 1
          || xdq.inputs().size() < 3) {
        continue;
      }
      Tensor w = g.initializers().get(wdq.input(0));
      Tensor zeroPoint = g.initializers().get(xdq.input(2));
      if (w == null
          || w.rank() != 4
          || w.dataType().byteSize() != 1
          || zeroPoint == null
          || zeroPoint.rank() != 0
          || w.dim(1) % multiple == 0) {
        continue;
      }
      long m = w.dim(0);
      long c = w.dim(1);
      long padded = (c + multiple - 1) / multiple * multiple;
      long kernel = w.dim(2) * w.dim(3);
      byte[] from = new byte[Math.toIntExact(w.elementCount())];
      w.data().duplicate().get(from);
      byte[] to = new byte[Math.toIntExact(m * padded * kernel)];
      for (long o = 0; o < m; o++) {
        System.arraycopy(
            from,
            Math.toIntExact(o * c * kernel),
            to,
            Math.toIntExact(o * padded * kernel),
            Math.toIntExact(c * kernel));
      }
      String weights = b.uniqueName(w.name() + "_padded");
      b.addInitializer(
          Tensor.ofBytes(weights, w.dataType(), new long[] {m, padded, w.dim(2), w.dim(3)}, to));
      b.replaceNode(wdq.withInputs(List.of(weights, wdq.input(1), wdq.input(2))));
      String pads = b.uniqueName(conv.name() + "_channel_pads");
      b.addInitializer(
          Tensor.ofLongs(pads, new long[] {8}, new long[] {0, 0, 0, 0, 0, padded - c, 0, 0}));
      String x =
          b.add(
              "Pad",
              b.uniqueName(conv.name() + "_pad_channels"),
              List.of(xdq.input(0), pads, xdq.input(2)),
              List.of(b.uniqueName(xdq.input(0) + "_padded")));
      b.replaceNode(xdq.withInputs(List.of(x, xdq.input(1), xdq.input(2))));
      changes.add(
          conv.name()
              + ": input channels "
              + c
              + " -> "
              + padded
              + " (zero weights; ONNX Runtime's fast"
              + " int8 convolution takes multiples of "
              + multiple
              + ")");
    }
    return changes.isEmpty()
        ? new Result(g, List.of())
        : new Result(b.removeUnused().build(), changes);
  }

  private static boolean isDequantize(Node n) {
    return n != null && n.opType().equals("DequantizeLinear");
  }
}
