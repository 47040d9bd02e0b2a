package org.edgeopt.quantize;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.edgeopt.core.EdgeoptException;
import org.edgeopt.core.data.Dataset;
import org.edgeopt.core.graph.DataType;
import org.edgeopt.core.graph.Graph;
import org.edgeopt.core.graph.GraphBuilder;
import org.edgeopt.core.graph.Node;
import org.edgeopt.core.graph.Tensor;
import org.edgeopt.core.quant.CalibrationTable;
import org.edgeopt.core.quant.TensorRange;

/**
 * SmoothQuant-style smoothing (Xiao et al., ICML 2023): the input channels of a MatMul or Gemm
 * with constant weights whose activations have outliers are divided by {@code s_j} and the
 * weights they meet multiplied by it, with {@code s_j = max|X_j|^alpha / max|W_j|^(1 - alpha)}
 * ({@code X_j} measured on calibration data, {@code W_j} the weights that input channel {@code j}
 * multiplies). {@code X W = (X / s)(s W)}, so the FP32 function is unchanged up to float
 * rounding, while the activation's per-tensor range shrinks to what its ordinary channels need.
 *
 * <p>The division is folded into the producing operator where it scales per output channel
 * without anything else reading its output: a Gemm or MatMul with constant weights (and Gemm
 * bias) or a LayerNormalization with constant scale and bias. Otherwise a Mul by the constant
 * {@code 1 / s} is inserted; the quantizer keeps that Mul in float (quantizing its input would
 * bring the outliers back).
 */
public final class SmoothQuant {
  /** The migration strength the SmoothQuant paper uses for most models. */
  public static final double DEFAULT_ALPHA = 0.5;

  private SmoothQuant() {}

  /**
   * One smoothed activation.
   *
   * @param input the tensor whose channels were divided (its name before smoothing)
   * @param smoothed the tensor the layers now read ({@code input} itself when folded)
   * @param layers the MatMul/Gemm nodes reading it, whose weights were multiplied
   * @param foldedInto the node whose weights absorbed the division, or empty when a Mul was inserted
   * @param mul the inserted Mul node, or empty when folded
   * @param scales {@code s_j} per input channel
   */
  public record Smoothed(
      String input,
      String smoothed,
      List<String> layers,
      String foldedInto,
      String mul,
      double[] scales) {
    public Smoothed {
      layers = List.copyOf(layers);
      scales = scales.clone();
    }

    @Override
    public double[] scales() {
      return scales.clone();
    }

    /** Returns one line for reports. */
    public String describe() {
      DoubleSummary s = DoubleSummary.of(scales);
      return String.format(
          Locale.ROOT,
          "smoothed '%s' into %s: %d channels, scales %.3g..%.3g, %s",
          input,
          String.join(", ", layers.stream().map(l -> "'" + l + "'").toList()),
          scales.length,
          s.min,
          s.max,
          foldedInto.isEmpty()
              ? "divided by an inserted float Mul '" + mul + "'"
              : "folded into '" + foldedInto + "'");
    }
  }

  /**
   * The smoothed graph and what changed.
   *
   * @param graph the graph (new nodes only where a Mul was inserted)
   * @param smoothed one entry per smoothed activation, in graph order
   * @param samples how many calibration samples the activation ranges were measured on
   */
  public record Result(Graph graph, List<Smoothed> smoothed, int samples) {
    public Result {
      smoothed = List.copyOf(smoothed);
    }

    /** Returns one line per smoothed activation. */
    public List<String> changes() {
      return smoothed.stream().map(Smoothed::describe).toList();
    }

    /** Returns the inserted Mul nodes, which must stay float. */
    public List<String> insertedMuls() {
      return smoothed.stream().map(Smoothed::mul).filter(m -> !m.isEmpty()).toList();
    }
  }

  /**
   * Returns the activations that smoothing would touch: the first input of every MatMul and Gemm
   * (without transA) whose second input is a constant float matrix, and that no initializer gives.
   */
  public static List<String> candidates(Graph g) {
    return groups(g).keySet().stream().toList();
  }

  /**
   * Measures the candidates' per-channel ranges on the first {@code samples} samples of
   * {@code data} and smooths them.
   *
   * @param where names the model in errors
   */
  public static Result apply(Graph g, double alpha, Dataset data, int samples, String where)
      throws EdgeoptException {
    List<String> inputs = candidates(g);
    if (inputs.isEmpty()) {
      return new Result(g, List.of(), 0);
    }
    return apply(g, alpha, ChannelStatistics.measure(g, inputs, data, samples, true, where));
  }

  /** Smooths with the per-channel (last axis) statistics of the candidates already measured. */
  static Result apply(Graph g, double alpha, ChannelStatistics stats) {
    if (!(alpha > 0 && alpha < 1)) {
      throw new IllegalArgumentException("alpha must be within (0, 1), found " + alpha);
    }
    Map<String, Integer> uses = new HashMap<>();
    g.nodes().forEach(n -> n.inputs().forEach(i -> uses.merge(i, 1, Integer::sum)));
    Map<String, List<Node>> consumers = g.consumers();
    GraphBuilder b = g.toBuilder();
    Map<String, float[]> weights = new HashMap<>();
    List<Smoothed> done = new ArrayList<>();
    for (Map.Entry<String, List<Node>> e : groups(g).entrySet()) {
      String x = e.getKey();
      List<Node> layers = e.getValue();
      ChannelStatistics.Channels ch = stats.of(x);
      int k = inputChannels(g, layers.get(0));
      if (ch == null
          || ch.max().length != k
          || layers.stream().anyMatch(l -> inputChannels(g, l) != k)) {
        continue;
      }
      double[] s = new double[k];
      for (int j = 0; j < k; j++) {
        double ax = Math.max(Math.abs(ch.min()[j]), Math.abs(ch.max()[j]));
        double wx = 0;
        for (Node l : layers) {
          wx = Math.max(wx, scaleInputChannel(g, l, weights, j, 1));
        }
        s[j] = ax == 0 || wx == 0 ? 1 : Math.pow(ax, alpha) / Math.pow(wx, 1 - alpha);
      }
      for (Node l : layers) {
        for (int j = 0; j < k; j++) {
          scaleInputChannel(g, l, weights, j, (float) s[j]);
        }
      }
      Node producer = g.producer(x).orElse(null);
      boolean onlyLayers =
          !g.isOutput(x) && consumers.getOrDefault(x, List.of()).size() == layers.size();
      if (onlyLayers && producer != null && fold(g, producer, uses, weights, s)) {
        done.add(
            new Smoothed(x, x, layers.stream().map(Node::name).toList(), producer.name(), "", s));
        continue;
      }
      float[] inv = new float[k];
      for (int j = 0; j < k; j++) {
        inv[j] = (float) (1 / s[j]);
      }
      String invName = b.uniqueName(x + "_smooth_inverse_scale");
      b.addInitializer(Tensor.ofFloats(invName, new long[] {k}, inv));
      String out = b.uniqueName(x + "_smoothed");
      String mul = b.uniqueName(x + "_smooth");
      b.addNode(Node.of(mul, "Mul", List.of(x, invName), List.of(out)));
      for (Node l : layers) {
        List<String> in = new ArrayList<>(l.inputs());
        in.set(0, out);
        b.replaceNode(l.withInputs(in));
      }
      done.add(new Smoothed(x, out, layers.stream().map(Node::name).toList(), "", mul, s));
    }
    weights.forEach(
        (name, v) -> b.addInitializer(Tensor.ofFloats(name, g.initializers().get(name).dims(), v)));
    return new Result(done.isEmpty() ? g : b.build(), done, stats.samples());
  }

  /**
   * Returns a table in which each smoothed tensor has the range of its source divided per channel
   * by the scales, as {@link CrossLayerEqualization#rescale} does for equalized tensors.
   *
   * @param before the last-axis statistics the scales were computed from
   */
  static CalibrationTable rescale(CalibrationTable table, Result r, ChannelStatistics before) {
    Map<String, TensorRange> ranges = new LinkedHashMap<>(table.tensors());
    for (Smoothed sm : r.smoothed()) {
      TensorRange old = ranges.get(sm.input());
      ChannelStatistics.Channels ch = before.of(sm.input());
      if (old != null && ch != null) {
        ranges.put(sm.smoothed(), CrossLayerEqualization.divided(old, ch, sm.scales(), null));
      }
    }
    return new CalibrationTable(
        table.formatVersion(),
        table.method(),
        table.modelSha256(),
        table.dataSha256(),
        table.samples(),
        table.provenance(),
        ranges);
  }

  /** The candidate layers grouped by the activation they read, in graph order. */
  private static Map<String, List<Node>> groups(Graph g) {
    Map<String, List<Node>> m = new LinkedHashMap<>();
    for (Node n : g.nodes()) {
      boolean matmul = n.opType().equals("MatMul");
      boolean gemm = n.opType().equals("Gemm") && n.intAttr("transA", 0) == 0;
      if (!n.domain().isEmpty() || !(matmul || gemm) || g.initializers().containsKey(n.input(0))) {
        continue;
      }
      Tensor w = g.initializers().get(n.input(1));
      if (w == null || w.dataType() != DataType.FLOAT || w.dims().length != 2) {
        continue;
      }
      m.computeIfAbsent(n.input(0), k -> new ArrayList<>()).add(n);
    }
    return m;
  }

  /** Returns how many input channels (the contracted dimension) a candidate layer's weight has. */
  private static int inputChannels(Graph g, Node layer) {
    long[] d = g.initializers().get(layer.input(1)).dims();
    return Math.toIntExact(transposedB(layer) ? d[1] : d[0]);
  }

  private static boolean transposedB(Node layer) {
    return layer.opType().equals("Gemm") && layer.intAttr("transB", 0) != 0;
  }

  /**
   * Multiplies the weights a layer applies to input channel {@code j} by {@code mul} (1: only
   * measure) and returns their largest magnitude after that.
   */
  private static double scaleInputChannel(
      Graph g, Node layer, Map<String, float[]> weights, int j, float mul) {
    Tensor t = g.initializers().get(layer.input(1));
    float[] w = weights.computeIfAbsent(t.name(), n -> t.toFloats());
    long[] d = t.dims();
    int rows = Math.toIntExact(d[0]);
    int cols = Math.toIntExact(d[1]);
    boolean byRow = !transposedB(layer);
    int count = byRow ? cols : rows;
    double r = 0;
    for (int i = 0; i < count; i++) {
      int idx = byRow ? j * cols + i : i * cols + j;
      if (mul != 1f) {
        w[idx] *= mul;
      }
      r = Math.max(r, Math.abs(w[idx]));
    }
    return r;
  }

  /**
   * Divides output channel {@code j} of {@code producer} by {@code s[j]} when it is a Gemm,
   * MatMul or LayerNormalization whose constants only it reads; returns whether it did.
   */
  private static boolean fold(
      Graph g, Node p, Map<String, Integer> uses, Map<String, float[]> weights, double[] s) {
    if (!p.domain().isEmpty() || p.outputs().stream().filter(o -> !o.isEmpty()).count() != 1) {
      return false;
    }
    int k = s.length;
    List<String> constants = new ArrayList<>();
    List<Boolean> columnwise = new ArrayList<>();
    switch (p.opType()) {
      case "Gemm", "MatMul" -> {
        Tensor w = g.initializers().get(p.input(1));
        boolean transB = transposedB(p);
        if (w == null
            || w.dims().length != 2
            || w.dims()[transB ? 0 : 1] != k
            || p.opType().equals("Gemm") && p.intAttr("transA", 0) != 0) {
          return false;
        }
        constants.add(p.input(1));
        columnwise.add(!transB);
        if (p.opType().equals("Gemm") && !p.input(2).isEmpty()) {
          constants.add(p.input(2));
          columnwise.add(false);
        }
      }
      case "LayerNormalization" -> {
        if (p.intAttr("axis", -1) != -1) {
          return false;
        }
        for (int i = 1; i < p.inputs().size(); i++) {
          if (!p.input(i).isEmpty()) {
            constants.add(p.input(i));
            columnwise.add(false);
          }
        }
      }
      default -> {
        return false;
      }
    }
    for (int i = 0; i < constants.size(); i++) {
      Tensor t = g.initializers().get(constants.get(i));
      boolean vector = !columnwise.get(i);
      if (t == null
          || t.dataType() != DataType.FLOAT
          || uses.getOrDefault(t.name(), 0) != 1
          || vector && t.elementCount() != k) {
        return false;
      }
    }
    for (int i = 0; i < constants.size(); i++) {
      Tensor t = g.initializers().get(constants.get(i));
      float[] v = weights.computeIfAbsent(t.name(), n -> t.toFloats());
      for (int idx = 0; idx < v.length; idx++) {
        // A weight matrix [rows, k] has output channel idx % k; a vector of k has idx.
        v[idx] = (float) (v[idx] / s[idx % k]);
      }
    }
    return true;
  }

  /** The smallest and largest of some values. */
  private record DoubleSummary(double min, double max) {
    static DoubleSummary of(double[] v) {
      return new DoubleSummary(Arrays.stream(v).min().orElse(1), Arrays.stream(v).max().orElse(1));
    }
  }
}
