package org.edgeopt.quantize;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.edgeopt.core.data.Dataset;
import org.edgeopt.core.graph.Graph;
import org.edgeopt.core.graph.GraphBuilder;
import org.edgeopt.core.graph.Node;
import org.edgeopt.core.graph.Tensor;

/**
 * An experiment kept for docs/benchmarks.md ("The ceiling"): SmoothQuant-style migration of
 * activation range into weights across ReLU, for every Conv -> ReLU (-> MaxPool) -> Conv(s) pair.
 *
 * <p>Output channel {@code i} of the first Conv is divided and input channel {@code i} of its
 * readers multiplied by {@code s_i = max|X_i|^alpha / max|W_i|^(1 - alpha)} (normalized to a
 * geometric mean of 1); ReLU and max pooling commute with a positive per-channel scale, so the
 * FP32 function is unchanged. Measured on SqueezeNet and not built into the quantizer: it does not
 * lower the INT8 model's margin noise.
 */
public final class ActivationSmoothingProbe {
  private ActivationSmoothingProbe() {}

  /** Returns {@code g} smoothed with statistics from the first {@code samples} samples of {@code data}. */
  public static Graph apply(Graph g, Dataset data, int samples, double alpha) throws Exception {
    Map<String, List<Node>> consumers = g.consumers();
    List<Node[]> pairs = new ArrayList<>();
    List<String> acts = new ArrayList<>();
    for (Node first : g.nodes()) {
      if (!first.opType().equals("Conv") || g.initializer(first.input(1)).isEmpty()) {
        continue;
      }
      String mid = first.output();
      List<Node> c = consumers.getOrDefault(mid, List.of());
      String act = null;
      while (c.size() == 1 && List.of("Relu", "MaxPool").contains(c.get(0).opType())) {
        if (c.get(0).opType().equals("Relu")) {
          act = c.get(0).output();
        }
        mid = c.get(0).output();
        c = consumers.getOrDefault(mid, List.of());
      }
      if (act == null || c.isEmpty()) {
        continue;
      }
      String in = mid;
      if (!c.stream()
          .allMatch(
              n ->
                  n.opType().equals("Conv")
                      && n.input(0).equals(in)
                      && n.intAttr("group", 1) == 1)) {
        continue;
      }
      List<Node> row = new ArrayList<>();
      row.add(first);
      row.addAll(c);
      pairs.add(row.toArray(new Node[0]));
      acts.add(act);
    }
    ChannelStatistics stats = ChannelStatistics.measure(g, acts, data, samples, "probe");
    GraphBuilder b = g.toBuilder();
    Map<String, float[]> cur = new java.util.HashMap<>();
    for (int p = 0; p < pairs.size(); p++) {
      Node first = pairs.get(p)[0];
      double[] a = stats.of(acts.get(p)).max();
      Tensor w1t = g.initializer(first.input(1)).orElseThrow();
      float[] w1 = cur.computeIfAbsent(w1t.name(), k -> w1t.toFloats().clone());
      int m1 = (int) w1t.dim(0);
      int row1 = w1.length / m1;
      float[] b1 =
          first.inputs().size() > 2 && !first.input(2).isEmpty()
              ? g.initializer(first.input(2)).orElseThrow().toFloats()
              : null;
      double[] r2 = new double[m1];
      List<float[]> w2s = new ArrayList<>();
      for (int k = 1; k < pairs.get(p).length; k++) {
        Tensor t = g.initializer(pairs.get(p)[k].input(1)).orElseThrow();
        float[] w2 = cur.computeIfAbsent(t.name(), key -> t.toFloats().clone());
        w2s.add(w2);
        inputChannels(w2, t.dims(), r2, false);
      }
      double[] s = new double[m1];
      double lo = Double.MAX_VALUE;
      double hi = 0;
      for (int i = 0; i < m1; i++) {
        s[i] = a[i] <= 0 || r2[i] == 0 ? 1 : Math.pow(a[i], alpha) / Math.pow(r2[i], 1 - alpha);
      }
      // Normalize so the geometric mean is 1 (only ratios matter).
      double lg = 0;
      int n = 0;
      for (int i = 0; i < m1; i++) {
        if (a[i] > 0 && r2[i] > 0) {
          lg += Math.log(s[i]);
          n++;
        }
      }
      double gm = n == 0 ? 1 : Math.exp(lg / n);
      for (int i = 0; i < m1; i++) {
        if (a[i] > 0 && r2[i] > 0) {
          s[i] /= gm;
        } else {
          s[i] = 1;
        }
        lo = Math.min(lo, s[i]);
        hi = Math.max(hi, s[i]);
        for (int k = i * row1; k < (i + 1) * row1; k++) {
          w1[k] /= (float) s[i];
        }
        if (b1 != null) {
          b1[i] /= (float) s[i];
        }
      }
      b.removeInitializer(w1t.name()).addInitializer(Tensor.ofFloats(w1t.name(), w1t.dims(), w1));
      if (b1 != null) {
        Tensor bt = g.initializer(first.input(2)).orElseThrow();
        b.removeInitializer(bt.name()).addInitializer(Tensor.ofFloats(bt.name(), bt.dims(), b1));
      }
      for (int k = 1; k < pairs.get(p).length; k++) {
        Tensor t = g.initializer(pairs.get(p)[k].input(1)).orElseThrow();
        float[] w2 = w2s.get(k - 1);
        inputChannels(w2, t.dims(), s, true);
        b.removeInitializer(t.name()).addInitializer(Tensor.ofFloats(t.name(), t.dims(), w2));
      }
      System.out.printf(
          java.util.Locale.ROOT,
          "  smoothed %s -> %d convs: scales %.3f..%.3f%n",
          first.name(),
          pairs.get(p).length - 1,
          lo,
          hi);
    }
    return b.build();
  }

  /**
   * Visits the weights of a Conv [M, C, kh, kw] by input channel: multiplies channel {@code c}
   * by {@code perChannel[c]} when {@code scale}, else raises {@code perChannel[c]} to its largest
   * magnitude.
   */
  private static void inputChannels(float[] w, long[] dims, double[] perChannel, boolean scale) {
    int m = (int) dims[0];
    int cin = (int) dims[1];
    int ker = w.length / (m * cin);
    for (int o = 0; o < m; o++) {
      for (int c = 0; c < cin; c++) {
        for (int k = (o * cin + c) * ker; k < (o * cin + c + 1) * ker; k++) {
          if (scale) {
            w[k] *= (float) perChannel[c];
          } else {
            perChannel[c] = Math.max(perChannel[c], Math.abs(w[k]));
          }
        }
      }
    }
  }
}
