package org.edgeopt.quantize;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.edgeopt.core.EdgeoptException;
import org.edgeopt.core.data.Dataset;
import org.edgeopt.core.graph.Attribute;
import org.edgeopt.core.graph.DataType;
import org.edgeopt.core.graph.Graph;
import org.edgeopt.core.graph.GraphBuilder;
import org.edgeopt.core.graph.Node;
import org.edgeopt.core.graph.Tensor;
import org.edgeopt.core.quant.QuantParams;

/**
 * Empirical bias correction (Nagel et al., ICCV 2019, section 4.2): rounding a layer's weights
 * shifts the mean of each output channel by {@code E[(Wq - W) x]}; measured on calibration
 * samples and subtracted from the bias, the quantized layer's outputs are centred where the
 * FP32 layer's are.
 *
 * <p>The shift is measured on FP32 inputs, for every Conv and Gemm at once: beside each layer
 * the FP32 graph computes the same operator on the same input with the weight error
 * {@code dequantize(quantize(W)) - W} as weights and no bias (the operator is linear in its
 * weights, so that is exactly the difference of the two outputs), and the per-channel mean of
 * that output over samples and positions is the shift. One forward pass serves all layers.
 */
public final class BiasCorrection {
  private BiasCorrection() {}

  /**
   * The shift of one layer.
   *
   * @param node the Conv or Gemm
   * @param opType its operator
   * @param shift per output channel, the mean of (quantized-weight output - float-weight output)
   */
  public record LayerShift(String node, String opType, double[] shift) {
    public LayerShift {
      shift = shift.clone();
    }

    @Override
    public double[] shift() {
      return shift.clone();
    }

    /** Returns the largest shift magnitude over the channels. */
    public double maxAbs() {
      double m = 0;
      for (double s : shift) {
        m = Math.max(m, Math.abs(s));
      }
      return m;
    }

    /** Returns one line for reports. */
    public String describe() {
      return String.format(
          Locale.ROOT,
          "bias correction of %s '%s': %d channels, largest shift %.3g",
          opType,
          node,
          shift.length,
          maxAbs());
    }
  }

  /**
   * The measured shifts.
   *
   * @param layers one entry per Conv and Gemm with constant float weights, in graph order
   * @param samples how many calibration samples they were measured on
   */
  public record Result(List<LayerShift> layers, int samples) {
    public Result {
      layers = List.copyOf(layers);
    }

    /** Returns the shifts by node name, as float arrays for the quantizer. */
    public Map<String, float[]> shifts() {
      Map<String, float[]> m = new LinkedHashMap<>();
      for (LayerShift l : layers) {
        double[] d = l.shift();
        float[] f = new float[d.length];
        for (int i = 0; i < d.length; i++) {
          f[i] = (float) d[i];
        }
        m.put(l.node(), f);
      }
      return m;
    }

    /** Returns one line per corrected layer. */
    public List<String> changes() {
      return layers.stream().map(LayerShift::describe).toList();
    }
  }

  /**
   * Measures, on the first {@code samples} samples of {@code data}, the output shift that
   * quantizing the weights of every Conv and Gemm of {@code g} (as {@code config} quantizes them) adds.
   *
   * @param g an FP32 graph prepared by {@link GraphPreparer}
   * @param where names the model in errors
   */
  public static Result measure(
      Graph g, QuantizeConfig config, Dataset data, int samples, String where)
      throws EdgeoptException {
    return measure(g, Map.of(), config, data, samples, where);
  }

  /**
   * As {@link #measure(Graph, QuantizeConfig, Dataset, int, String)}, for weights that an earlier
   * pass already moved onto the grid ({@link AdaRound}): the shift is that of the quantized
   * weights against {@code originalWeights} (by initializer name), the float weights before that
   * pass, so that the rounding the pass chose is corrected too.
   */
  static Result measure(
      Graph g,
      Map<String, Tensor> originalWeights,
      QuantizeConfig config,
      Dataset data,
      int samples,
      String where)
      throws EdgeoptException {
    GraphBuilder b = g.toBuilder();
    Map<String, Node> probes = new LinkedHashMap<>();
    for (Node n : g.nodes()) {
      QdqPlanner.Kind k = QdqPlanner.Kind.of(n);
      Tensor w = n.input(1).isEmpty() ? null : g.initializers().get(n.input(1));
      if ((k != QdqPlanner.Kind.CONV && k != QdqPlanner.Kind.GEMM)
          || w == null
          || w.dataType() != DataType.FLOAT
          || g.initializers().containsKey(n.input(0))) {
        continue;
      }
      float[] error = weightError(n, w, config, where);
      Tensor original = originalWeights.get(w.name());
      if (original != null && original.elementCount() == error.length) {
        float[] now = w.toFloats();
        float[] before = original.toFloats();
        for (int i = 0; i < error.length; i++) {
          error[i] += now[i] - before[i];
        }
      }
      String errName = b.uniqueName(w.name() + "_rounding_error");
      b.addInitializer(Tensor.ofFloats(errName, w.dims(), error));
      String out = b.uniqueName(n.output() + "_rounding_shift");
      Node probe =
          new Node(
              b.uniqueName(n.name() + "_rounding_shift"),
              n.opType(),
              n.domain(),
              List.of(n.input(0), errName),
              List.of(out),
              n.attributes());
      if (k == QdqPlanner.Kind.GEMM) {
        probe = probe.withAttribute(Attribute.of("beta", 1f));
      }
      b.addNode(probe);
      probes.put(n.name(), probe);
    }
    if (probes.isEmpty()) {
      return new Result(List.of(), 0);
    }
    Graph probed = b.build();
    List<String> outs = probes.values().stream().map(Node::output).toList();
    ChannelStatistics st = ChannelStatistics.measure(probed, outs, data, samples, where);
    List<LayerShift> layers = new ArrayList<>();
    for (Map.Entry<String, Node> e : probes.entrySet()) {
      ChannelStatistics.Channels c = st.of(e.getValue().output());
      layers.add(new LayerShift(e.getKey(), e.getValue().opType(), c.mean()));
    }
    return new Result(layers, st.samples());
  }

  /**
   * Returns {@code g} with each measured shift subtracted from its layer's bias (a bias added
   * where there is none): the FP32 counterpart of what the quantizer does to the quantized
   * biases, for tests and for users who keep the corrected float model.
   */
  public static Graph apply(Graph g, Result r) {
    GraphBuilder b = g.toBuilder();
    for (LayerShift l : r.layers()) {
      Node n =
          g.node(l.node())
              .orElseThrow(() -> new IllegalArgumentException("no node '" + l.node() + "'"));
      double[] shift = l.shift();
      boolean gemm = n.opType().equals("Gemm");
      float beta = gemm ? n.floatAttr("beta", 1f) : 1f;
      Tensor old = n.input(2).isEmpty() ? null : g.initializers().get(n.input(2));
      if (old == null && !n.input(2).isEmpty()
          || old != null && old.elementCount() != shift.length
          || gemm && old != null && beta == 0) {
        throw new IllegalArgumentException(
            n.describe()
                + ": its bias is not a constant of "
                + shift.length
                + " values; cannot correct it");
      }
      float[] bias = old == null ? new float[shift.length] : old.toFloats();
      for (int c = 0; c < shift.length; c++) {
        bias[c] -= (float) (shift[c] / (old == null ? 1 : beta));
      }
      String name = old == null ? b.uniqueName(n.name() + "_bias") : old.name();
      b.addInitializer(
          Tensor.ofFloats(name, old == null ? new long[] {shift.length} : old.dims(), bias));
      Node m = n.withInputs(List.of(n.input(0), n.input(1), name));
      if (gemm && old == null) {
        m = m.withAttribute(Attribute.of("beta", 1f));
      }
      b.replaceNode(m);
    }
    return b.build();
  }

  /** Returns {@code dequantize(quantize(w)) - w}, with the quantizer's own scales and rounding. */
  static float[] weightError(Node n, Tensor w, QuantizeConfig config, String where)
      throws EdgeoptException {
    WeightQuantizer.QuantizedWeights q = QdqQuantizer.quantizeLayerWeights(n, w, config, where);
    QuantParams p = q.params();
    float[] scales = p.scales();
    byte[] v = q.values();
    float[] f = w.toFloats();
    long[] d = w.dims();
    int axis = p.axis();
    int channels = axis < 0 ? 1 : Math.toIntExact(d[axis]);
    int inner = 1;
    for (int i = axis + 1; axis >= 0 && i < d.length; i++) {
      inner *= Math.toIntExact(d[i]);
    }
    float[] e = new float[f.length];
    for (int i = 0; i < f.length; i++) {
      int c = axis < 0 ? 0 : (i / inner) % channels;
      // DequantizeLinear multiplies in float32: the error is what the quantized graph computes
      // with.
      e[i] = v[i] * scales[c] - f[i];
    }
    return e;
  }
}
