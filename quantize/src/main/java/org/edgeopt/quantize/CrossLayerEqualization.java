package org.edgeopt.quantize;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.edgeopt.core.graph.Graph;
import org.edgeopt.core.graph.GraphBuilder;
import org.edgeopt.core.graph.Node;
import org.edgeopt.core.graph.Tensor;
import org.edgeopt.core.quant.CalibrationTable;
import org.edgeopt.core.quant.TensorRange;

/**
 * Cross-layer equalization (Nagel et al., "Data-Free Quantization Through Weight Equalization
 * and Bias Correction", ICCV 2019): for a Conv followed, through ReLU and max pooling or
 * directly, by another Conv that alone reads it, output channel {@code c} of the first is divided by {@code s_c} and input channel
 * {@code c} of the second multiplied by it, with {@code s_c = sqrt(r1_c / r2_c)} where
 * {@code r1_c} and {@code r2_c} are the largest weight magnitudes of those channels. Both then
 * have the range {@code sqrt(r1_c * r2_c)}, so one scale per tensor loses less.
 *
 * <p>ReLU is positively homogeneous ({@code relu(x / s) = relu(x) / s} for {@code s > 0}), so
 * the FP32 function is unchanged. {@code Clip(0, max)} is not: the bound would have to become
 * {@code max / s_c} per channel, which ONNX Clip cannot express, so such a pair is skipped and
 * the result says why. On request ({@code equalizeUnreachedClips}) a pair is equalized when the
 * calibration table shows the bound is never reached, with every {@code s_c} kept at least
 * {@code observedMax / max} so that no calibration value reaches it after scaling either; that
 * is exact on the calibration data only. On the Fashion-MNIST sample it changed held-out logits
 * by 0.35% of their range and gained nothing (every such scale sat at that floor), so the
 * quantizer leaves it off.
 *
 * <p>A chain (Conv, Conv, Conv, ...) is swept {@code iterations} times, because equalizing the
 * second pair changes the ranges the first pair was balanced on; a sweep that moves no scale by
 * more than {@link #CONVERGED} ends the loop.
 */
public final class CrossLayerEqualization {
  /** Sweeps over the chains unless asked otherwise. */
  public static final int DEFAULT_ITERATIONS = 10;

  /** A sweep whose scales all lie within 1 +- this changes nothing worth another sweep. */
  static final double CONVERGED = 1e-4;

  private CrossLayerEqualization() {}

  /**
   * One equalized pair.
   *
   * @param first the Conv whose output channels were divided
   * @param second the Conv whose input channels were multiplied (several, joined by {@code ", "},
   *     when the tensor feeds more than one)
   * @param activation the nodes between them (Relu, Clip, MaxPool) joined by {@code " -> "}, or empty
   * @param scales {@code s_c} per channel, accumulated over the sweeps
   */
  public record ScaledPair(String first, String second, String activation, double[] scales) {
    public ScaledPair {
      scales = scales.clone();
    }

    /** Returns the names of the nodes between the two Convs, in order. */
    public List<String> between() {
      return activation.isEmpty() ? List.of() : List.of(activation.split(" -> "));
    }

    @Override
    public double[] scales() {
      return scales.clone();
    }

    /** Returns the smallest scale. */
    public double minScale() {
      return java.util.Arrays.stream(scales).min().orElse(1);
    }

    /** Returns the largest scale. */
    public double maxScale() {
      return java.util.Arrays.stream(scales).max().orElse(1);
    }

    /** Returns one line for reports. */
    public String describe() {
      return String.format(
          Locale.ROOT,
          "equalized Conv '%s' -> %sConv '%s': %d channels, scales %.3g..%.3g",
          first,
          activation.isEmpty() ? "" : "'" + activation + "' -> ",
          second.replace(", ", "', Conv '"),
          scales.length,
          minScale(),
          maxScale());
    }
  }

  /**
   * A pair that was found but left alone.
   *
   * @param first the first Conv
   * @param second the second Conv
   * @param reason why it was not equalized
   */
  public record SkippedPair(String first, String second, String reason) {
    /** Returns one line for reports. */
    public String describe() {
      return "did not equalize Conv '" + first + "' -> Conv '" + second + "': " + reason;
    }
  }

  /**
   * The equalized graph and what was done.
   *
   * @param graph the graph with rescaled weights (same nodes and tensor names)
   * @param scaled the pairs equalized, in graph order
   * @param skipped the pairs left alone, in graph order
   * @param iterations how many sweeps ran
   */
  public record Result(
      Graph graph, List<ScaledPair> scaled, List<SkippedPair> skipped, int iterations) {
    public Result {
      scaled = List.copyOf(scaled);
      skipped = List.copyOf(skipped);
    }

    /** Returns one line per pair, equalized ones first. */
    public List<String> changes() {
      List<String> l = new ArrayList<>();
      scaled.forEach(p -> l.add(p.describe()));
      skipped.forEach(p -> l.add(p.describe()));
      return l;
    }

    /**
     * Returns, for each tensor whose channels the equalization divided (the first layer's
     * output and the activation's), the divisor of each channel.
     */
    public Map<String, double[]> scaledTensors() {
      Map<String, double[]> m = new LinkedHashMap<>();
      Map<String, Node> byName = new HashMap<>();
      graph.nodes().forEach(n -> byName.put(n.name(), n));
      for (ScaledPair p : scaled) {
        m.put(byName.get(p.first()).output(), p.scales());
        for (String n : p.between()) {
          m.put(byName.get(n).output(), p.scales());
        }
      }
      return m;
    }
  }

  /** Equalizes with {@link #DEFAULT_ITERATIONS} sweeps, skipping every pair through a bounded Clip. */
  public static Result apply(Graph g) {
    return apply(g, null, DEFAULT_ITERATIONS, false);
  }

  /**
   * Equalizes every Conv -> (Relu | Clip(0, max) | MaxPool)* -> Conv pair of a graph whose
   * BatchNormalization is already folded (see {@link GraphPreparer}).
   *
   * @param table the calibrated ranges, to tell whether a Clip bound is ever reached; may be
   *     null unless {@code equalizeUnreachedClips}
   * @param iterations the most sweeps over all pairs
   * @param equalizeUnreachedClips whether to equalize through a Clip(0, max) whose bound the
   *     calibration data never reaches (exact on that data only); false skips every bounded Clip
   */
  public static Result apply(
      Graph g, CalibrationTable table, int iterations, boolean equalizeUnreachedClips) {
    if (iterations < 1) {
      throw new IllegalArgumentException("iterations must be at least 1, found " + iterations);
    }
    EqualizationPairs.Found found = EqualizationPairs.find(g, table, equalizeUnreachedClips);
    List<EqualizationPairs.Pair> pairs = found.pairs();
    List<SkippedPair> skipped = found.skipped();
    Map<String, float[]> weights = new HashMap<>();
    for (EqualizationPairs.Pair p : pairs) {
      List<Node> layers = new ArrayList<>(p.seconds());
      layers.add(p.first());
      for (Node n : layers) {
        weights.computeIfAbsent(n.input(1), k -> g.initializers().get(k).toFloats());
        if (!n.input(2).isEmpty()) {
          weights.computeIfAbsent(n.input(2), k -> g.initializers().get(k).toFloats());
        }
      }
    }
    Map<EqualizationPairs.Pair, double[]> total = new LinkedHashMap<>();
    int sweeps = 0;
    boolean moved = true;
    while (moved && sweeps < iterations) {
      moved = false;
      sweeps++;
      for (EqualizationPairs.Pair p : pairs) {
        double[] step =
            equalize(
                g,
                p,
                weights,
                total.computeIfAbsent(p, k -> ones(EqualizationPairs.channels(g, p.first()))));
        for (double s : step) {
          moved |= Math.abs(s - 1) > CONVERGED;
        }
      }
    }
    GraphBuilder b = g.toBuilder();
    for (Map.Entry<String, float[]> e : weights.entrySet()) {
      Tensor old = g.initializers().get(e.getKey());
      b.addInitializer(Tensor.ofFloats(old.name(), old.dims(), e.getValue()));
    }
    List<ScaledPair> scaled = new ArrayList<>();
    total.forEach(
        (p, s) ->
            scaled.add(
                new ScaledPair(
                    p.first().name(),
                    String.join(", ", p.seconds().stream().map(Node::name).toList()),
                    String.join(" -> ", p.between().stream().map(Node::name).toList()),
                    s)));
    return new Result(
        pairs.isEmpty() ? g : b.build(), scaled, skipped, pairs.isEmpty() ? 0 : sweeps);
  }

  /**
   * Returns a table whose ranges of the equalized tensors are divided per channel as the
   * equalization divided the tensors: the per-channel extremes measured on the FP32 graph
   * before equalization, divided by the channel's scale, give the new extremes; the calibrated
   * range keeps its ratio to the observed extremes, so a percentile or entropy clip stays as tight.
   *
   * @param before per-channel statistics of the {@link Result#scaledTensors()} on the graph before equalization
   */
  static CalibrationTable rescale(CalibrationTable table, Result r, ChannelStatistics before) {
    return rescale(table, r, before, Map.of());
  }

  /**
   * As {@link #rescale(CalibrationTable, Result, ChannelStatistics)}, for tensors from which
   * {@link BiasAbsorption} then subtracted {@code shifts} (per channel, after the division).
   */
  static CalibrationTable rescale(
      CalibrationTable table, Result r, ChannelStatistics before, Map<String, double[]> shifts) {
    Map<String, TensorRange> ranges = new LinkedHashMap<>(table.tensors());
    for (Map.Entry<String, double[]> e : r.scaledTensors().entrySet()) {
      TensorRange old = ranges.get(e.getKey());
      ChannelStatistics.Channels ch = before.of(e.getKey());
      if (old == null || ch == null) {
        continue;
      }
      ranges.put(e.getKey(), divided(old, ch, e.getValue(), shifts.get(e.getKey())));
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

  /**
   * Returns {@code old} for a tensor whose channel {@code c} became {@code v / s[c] - shift[c]}:
   * the per-channel extremes measured before ({@code ch}) transformed give the new extremes, and
   * the calibrated range keeps its ratio to the observed extremes, so a percentile or entropy clip
   * stays as tight.
   *
   * @param shift subtracted after the division, per channel; null for none
   */
  static TensorRange divided(
      TensorRange old, ChannelStatistics.Channels ch, double[] s, double[] shift) {
    double lo = Double.POSITIVE_INFINITY;
    double hi = Double.NEGATIVE_INFINITY;
    for (int c = 0; c < s.length && c < ch.max().length; c++) {
      double d = shift == null ? 0 : shift[c];
      lo = Math.min(lo, ch.min()[c] / s[c] - d);
      hi = Math.max(hi, ch.max()[c] / s[c] - d);
    }
    double loRatio = ch.tensorMin() == 0 ? 1 : lo / ch.tensorMin();
    double hiRatio = ch.tensorMax() == 0 ? 1 : hi / ch.tensorMax();
    return new TensorRange(
        (float) (old.min() * loRatio),
        (float) (old.max() * hiRatio),
        (float) (old.observedMin() * loRatio),
        (float) (old.observedMax() * hiRatio),
        old.method(),
        old.samples(),
        old.histogramBins());
  }

  /** Runs one equalization step on a pair, updating the weights and the accumulated scales; returns the step's scales. */
  private static double[] equalize(
      Graph g, EqualizationPairs.Pair p, Map<String, float[]> w, double[] total) {
    long[] d1 = g.initializers().get(p.first().input(1)).dims();
    float[] w1 = w.get(p.first().input(1));
    float[] b1 = p.first().input(2).isEmpty() ? null : w.get(p.first().input(2));
    int m1 = (int) d1[0];
    int row1 = w1.length / m1;
    double[] step = new double[m1];
    for (int c = 0; c < m1; c++) {
      double r1 = 0;
      for (int k = c * row1; k < (c + 1) * row1; k++) {
        r1 = Math.max(r1, Math.abs(w1[k]));
      }
      double r2 = 0;
      for (Node second : p.seconds()) {
        r2 = Math.max(r2, inputChannel(g, second, w, c, 1));
      }
      double s = r1 == 0 || r2 == 0 ? 1 : Math.sqrt(r1 / r2);
      // A Clip bound allows no total scale below observedMax / bound (see the class comment).
      s = Math.max(s, p.lowerBound() / total[c]);
      step[c] = s;
      total[c] *= s;
      float inv = (float) (1 / s);
      for (int k = c * row1; k < (c + 1) * row1; k++) {
        w1[k] *= inv;
      }
      if (b1 != null) {
        b1[c] *= inv;
      }
      for (Node second : p.seconds()) {
        inputChannel(g, second, w, c, (float) s);
      }
    }
    return step;
  }

  /**
   * Returns the largest weight magnitude a Conv applies to its input channel {@code c}, after
   * multiplying those weights by {@code mul} (1: only measure). In a grouped Conv channel c is
   * index {@code c % cpg} of group {@code c / cpg}, read by that group's output channels only.
   */
  private static double inputChannel(Graph g, Node conv, Map<String, float[]> w, int c, float mul) {
    long[] d2 = g.initializers().get(conv.input(1)).dims();
    float[] w2 = w.get(conv.input(1));
    int m2 = (int) d2[0];
    int cpg = (int) d2[1];
    int groups = (int) conv.intAttr("group", 1);
    int mpg = m2 / groups;
    int kernel = w2.length / (m2 * cpg);
    int grp = c / cpg;
    int ci = c % cpg;
    double r = 0;
    for (int o = grp * mpg; o < (grp + 1) * mpg; o++) {
      int base = (o * cpg + ci) * kernel;
      for (int k = base; k < base + kernel; k++) {
        if (mul != 1f) {
          w2[k] *= mul;
        }
        r = Math.max(r, Math.abs(w2[k]));
      }
    }
    return r;
  }

  private static double[] ones(int n) {
    double[] a = new double[n];
    java.util.Arrays.fill(a, 1);
    return a;
  }
}
