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
    Map<String, List<Node>> consumers = g.consumers();
    Map<String, Integer> readers = new HashMap<>();
    consumers.forEach((k, v) -> readers.put(k, v.size()));
    List<Candidate> pairs = new ArrayList<>();
    List<SkippedPair> skipped = new ArrayList<>();
    for (Node first : g.nodes()) {
      if (!isConv(first) || floatWeights(g, first.input(1)) == null) {
        continue;
      }
      List<Node> between = new ArrayList<>();
      String mid = first.output();
      Node next = sole(g, consumers, mid);
      while (next != null && next.domain().isEmpty() && BETWEEN.contains(next.opType())) {
        between.add(next);
        mid = next.output();
        next = sole(g, consumers, mid);
      }
      // The tensor may feed several Convs (a fire module's squeeze feeds two expands): all scale
      // alike.
      String in = mid;
      List<Node> seconds = consumers.getOrDefault(mid, List.of());
      if (seconds.isEmpty()
          || g.isOutput(mid)
          || !seconds.stream()
              .allMatch(
                  n ->
                      isConv(n)
                          && n.input(0).equals(in)
                          && !n.input(1).equals(in)
                          && floatWeights(g, n.input(1)) != null)) {
        continue;
      }
      String secondNames = String.join(", ", seconds.stream().map(Node::name).toList());
      String why = null;
      for (Node second : seconds) {
        why = why != null ? why : unsupported(g, readers, first, between, second);
      }
      double lowerBound = 0;
      for (Node act : between) {
        if (why == null && act.opType().equals("Clip")) {
          // Only a Clip right after the first layer reads the range the table names.
          Object clip =
              act == between.get(0)
                  ? clipRule(g, table, first, act, equalizeUnreachedClips)
                  : "Clip '" + act.name() + "' is not right after the first Conv";
          if (clip instanceof String s) {
            why = s;
          } else {
            lowerBound = Math.max(lowerBound, (Double) clip);
          }
        }
      }
      if (why != null) {
        skipped.add(new SkippedPair(first.name(), secondNames, why));
      } else {
        pairs.add(new Candidate(first, between, seconds, lowerBound));
      }
    }
    Map<String, float[]> weights = new HashMap<>();
    for (Candidate p : pairs) {
      List<Node> layers = new ArrayList<>(p.seconds);
      layers.add(p.first);
      for (Node n : layers) {
        weights.computeIfAbsent(n.input(1), k -> g.initializers().get(k).toFloats());
        if (!n.input(2).isEmpty()) {
          weights.computeIfAbsent(n.input(2), k -> g.initializers().get(k).toFloats());
        }
      }
    }
    Map<Candidate, double[]> total = new LinkedHashMap<>();
    int sweeps = 0;
    boolean moved = true;
    while (moved && sweeps < iterations) {
      moved = false;
      sweeps++;
      for (Candidate p : pairs) {
        double[] step =
            equalize(g, p, weights, total.computeIfAbsent(p, k -> ones(channels(g, p.first))));
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
                    p.first.name(),
                    String.join(", ", p.seconds.stream().map(Node::name).toList()),
                    String.join(" -> ", p.between.stream().map(Node::name).toList()),
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

  /** A pair to equalize; {@code lowerBound} is the least total scale a Clip bound allows. */
  private record Candidate(Node first, List<Node> between, List<Node> seconds, double lowerBound) {}

  /**
   * What may stand between the two Convs: each commutes with a positive per-channel scale
   * ({@code f(x / s) = f(x) / s}): ReLU, Clip(0, no bound), and max pooling.
   */
  private static final java.util.Set<String> BETWEEN = java.util.Set.of("Relu", "Clip", "MaxPool");

  /** Runs one equalization step on a pair, updating the weights and the accumulated scales; returns the step's scales. */
  private static double[] equalize(Graph g, Candidate p, Map<String, float[]> w, double[] total) {
    long[] d1 = g.initializers().get(p.first.input(1)).dims();
    float[] w1 = w.get(p.first.input(1));
    float[] b1 = p.first.input(2).isEmpty() ? null : w.get(p.first.input(2));
    int m1 = (int) d1[0];
    int row1 = w1.length / m1;
    double[] step = new double[m1];
    for (int c = 0; c < m1; c++) {
      double r1 = 0;
      for (int k = c * row1; k < (c + 1) * row1; k++) {
        r1 = Math.max(r1, Math.abs(w1[k]));
      }
      double r2 = 0;
      for (Node second : p.seconds) {
        r2 = Math.max(r2, inputChannel(g, second, w, c, 1));
      }
      double s = r1 == 0 || r2 == 0 ? 1 : Math.sqrt(r1 / r2);
      // A Clip bound allows no total scale below observedMax / bound (see the class comment).
      s = Math.max(s, p.lowerBound / total[c]);
      step[c] = s;
      total[c] *= s;
      float inv = (float) (1 / s);
      for (int k = c * row1; k < (c + 1) * row1; k++) {
        w1[k] *= inv;
      }
      if (b1 != null) {
        b1[c] *= inv;
      }
      for (Node second : p.seconds) {
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

  private static int channels(Graph g, Node conv) {
    return (int) g.initializers().get(conv.input(1)).dim(0);
  }

  private static boolean isConv(Node n) {
    return n.opType().equals("Conv") && n.domain().isEmpty();
  }

  private static Tensor floatWeights(Graph g, String name) {
    Tensor t = name.isEmpty() ? null : g.initializers().get(name);
    return t != null && t.dataType() == org.edgeopt.core.graph.DataType.FLOAT && t.rank() >= 3
        ? t
        : null;
  }

  private static Node sole(Graph g, Map<String, List<Node>> consumers, String value) {
    List<Node> c = consumers.getOrDefault(value, List.of());
    return c.size() == 1 && !g.isOutput(value) ? c.get(0) : null;
  }

  /** Returns why a structurally matching pair cannot be rescaled safely, or null when it can. */
  private static String unsupported(
      Graph g, Map<String, Integer> readers, Node first, List<Node> between, Node second) {
    for (String t : new String[] {first.input(1), first.input(2), second.input(1)}) {
      if (!t.isEmpty() && readers.getOrDefault(t, 0) != 1) {
        return "initializer '" + t + "' is shared with another node";
      }
    }
    if (!first.input(2).isEmpty() && floatBias(g, first.input(2), channels(g, first)) == null) {
      return "the bias of the first Conv is not a float initializer of one value per channel";
    }
    long[] d2 = g.initializers().get(second.input(1)).dims();
    long groups = second.intAttr("group", 1);
    if (d2[1] * groups != channels(g, first) || d2[0] % groups != 0) {
      return "the second Conv reads "
          + d2[1] * groups
          + " channels, the first writes "
          + channels(g, first);
    }
    for (Node act : between) {
      if (act.opType().equals("Clip")) {
        Float lo = clipBound(g, act, 1);
        if (lo == null || lo != 0f) {
          return "Clip '"
              + act.name()
              + "' has a lower bound "
              + (lo == null ? "that is not a constant" : lo)
              + ", not 0, so it is not positively homogeneous";
        }
      }
    }
    return null;
  }

  private static Tensor floatBias(Graph g, String name, int channels) {
    Tensor t = g.initializers().get(name);
    return t != null
            && t.dataType() == org.edgeopt.core.graph.DataType.FLOAT
            && t.elementCount() == channels
        ? t
        : null;
  }

  /**
   * Returns the least total scale a Clip(0, max) allows (0 when unbounded), or why the pair must
   * be skipped.
   */
  private static Object clipRule(
      Graph g, CalibrationTable table, Node first, Node clip, boolean unreached) {
    Float hi =
        clip.input(2).isEmpty() ? Float.valueOf(Float.POSITIVE_INFINITY) : clipBound(g, clip, 2);
    if (hi == null) {
      return "Clip '" + clip.name() + "' has an upper bound that is not a constant";
    }
    if (hi == Float.POSITIVE_INFINITY) {
      return 0.0;
    }
    if (!unreached) {
      return "Clip '"
          + clip.name()
          + "' bounds at "
          + hi
          + " and ONNX Clip takes no per-channel bound";
    }
    TensorRange r = table == null ? null : table.range(first.output());
    if (r == null) {
      return "Clip '"
          + clip.name()
          + "' bounds at "
          + hi
          + " and no calibrated range of '"
          + first.output()
          + "' shows it is never reached (ONNX Clip takes no per-channel bound)";
    }
    if (r.observedMax() >= hi) {
      return String.format(
          Locale.ROOT,
          "Clip '%s' bounds at %s and the calibration data reaches it (largest value"
              + " %.4g); ONNX Clip takes no per-channel bound",
          clip.name(),
          hi,
          r.observedMax());
    }
    return Math.max(0, (double) r.observedMax() / hi);
  }

  /** Returns the constant Clip bound of input {@code slot} (1: min, 2: max), or null when it is not a constant. */
  private static Float clipBound(Graph g, Node clip, int slot) {
    if (clip.input(slot).isEmpty()) {
      return slot == 1 ? null : Float.POSITIVE_INFINITY;
    }
    Tensor t = g.initializers().get(clip.input(slot));
    return t == null || t.elementCount() != 1 ? null : t.toFloats()[0];
  }
}
