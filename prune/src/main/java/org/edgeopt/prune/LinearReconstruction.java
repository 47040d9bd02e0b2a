package org.edgeopt.prune;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.edgeopt.core.EdgeoptException;
import org.edgeopt.core.data.Batch;
import org.edgeopt.core.data.Dataset;
import org.edgeopt.core.eval.BatchRunner;
import org.edgeopt.core.graph.Graph;
import org.edgeopt.core.graph.GraphBuilder;
import org.edgeopt.core.graph.Node;
import org.edgeopt.core.graph.Tensor;
import org.edgeopt.core.graph.Value;
import org.edgeopt.core.onnx.OnnxChecker;
import org.edgeopt.core.runtime.InferenceSession;
import org.edgeopt.core.runtime.OrtRuntime;
import org.edgeopt.core.runtime.SessionOptions;

/**
 * Least-squares reconstruction of the layers that read pruned channels: once some input
 * channels are gone, the remaining weights and the bias are refitted so the layer's output on
 * calibration data stays as close as possible to the original's (the linear-regression step of
 * channel-pruning methods such as ThiNet, without any training).
 *
 * <p>One pass over the calibration data collects, for each 1x1 convolution or Gemm that reads a
 * prunable group, the Gram matrix of its input features (with a constant for the bias) and
 * their cross products with its original output. Any later choice of kept channels is then a
 * small linear solve, so the search can reconstruct every candidate it measures.
 */
public final class LinearReconstruction {
  private LinearReconstruction() {}

  /**
   * The sufficient statistics of one reader layer: {@code gram} is the {@code (F+1)x(F+1)} sum of
   * {@code [x;1][x;1]^T} over all positions, {@code cross} the {@code (F+1)xO} sum of {@code [x;1] y^T}.
   *
   * @param layer the node name
   * @param features F, the input features
   * @param outputs O, the output channels
   * @param gram row-major Gram matrix
   * @param cross row-major cross products
   */
  record Regression(String layer, int features, int outputs, double[] gram, double[] cross) {}

  /** Returns whether {@code n} is a layer this reconstruction can refit: a plain 1x1 Conv or a Gemm. */
  static boolean fits(Node n, Graph g) {
    if (n.opType().equals("Gemm")) {
      return n.intAttr("transA", 0) == 0
          && n.floatAttr("alpha", 1f) == 1f
          && n.floatAttr("beta", 1f) == 1f;
    }
    if (!n.opType().equals("Conv") || n.intAttr("group", 1) != 1) {
      return false;
    }
    Tensor w = g.initializers().get(n.input(1));
    if (w == null || w.rank() != 4 || w.dim(2) != 1 || w.dim(3) != 1) {
      return false;
    }
    for (long s : n.intsAttr("strides", new long[] {1, 1})) {
      if (s != 1) {
        return false;
      }
    }
    for (long p : n.intsAttr("pads", new long[] {0, 0, 0, 0})) {
      if (p != 0) {
        return false;
      }
    }
    return true;
  }

  /** Collects the statistics of every reader layer of {@code a} that {@link #fits}, in one pass of the original model. */
  static Map<String, Regression> collect(
      ChannelGroups a, Dataset data, int batchSize, int limit, String where)
      throws EdgeoptException {
    List<Node> layers = new ArrayList<>();
    Set<String> seen = new HashSet<>();
    for (ChannelGroups.Sink s : a.sinks) {
      if (fits(s.node(), a.graph) && seen.add(s.node().name()) && !s.node().name().isEmpty()) {
        layers.add(s.node());
      }
    }
    return collect(a.graph, layers, data, batchSize, limit, where);
  }

  /** Collects the statistics of the given layers (each must {@link #fits}) in one pass of {@code g}. */
  static Map<String, Regression> collect(
      Graph g, List<Node> layers, Dataset data, int batchSize, int limit, String where)
      throws EdgeoptException {
    Map<String, Regression> out = new LinkedHashMap<>();
    if (layers.isEmpty()) {
      return out;
    }
    Graph typed = OnnxChecker.inferShapes(g.toBuilder().clearValueInfo().build(), where);
    GraphBuilder b = typed.toBuilder();
    Set<String> outputs = new HashSet<>();
    typed.outputs().forEach(v -> outputs.add(v.name()));
    List<String> wanted = new ArrayList<>();
    for (Node n : layers) {
      for (String t : List.of(n.input(0), n.output())) {
        if (!wanted.contains(t)) {
          wanted.add(t);
        }
        if (outputs.add(t)) {
          b.addOutput(new Value(t, typed.type(t).orElse(null)));
        }
      }
    }
    Map<String, double[]> gram = new LinkedHashMap<>();
    Map<String, double[]> cross = new LinkedHashMap<>();
    Map<String, int[]> sizes = new LinkedHashMap<>();
    try (InferenceSession s = OrtRuntime.get().open(b.build(), SessionOptions.defaults())) {
      String input = s.inputNames().get(0);
      Iterator<Batch> it = data.batches(BatchRunner.batchSize(s, batchSize), limit);
      while (it.hasNext()) {
        Map<String, Tensor> r = s.run(Map.of(input, it.next().input().withName(input)), wanted);
        for (Node n : layers) {
          accumulate(n.name(), r.get(n.input(0)), r.get(n.output()), gram, cross, sizes);
        }
      }
    }
    for (Node n : layers) {
      int[] fo = sizes.get(n.name());
      if (fo != null) {
        out.put(
            n.name(),
            new Regression(n.name(), fo[0], fo[1], gram.get(n.name()), cross.get(n.name())));
      }
    }
    return out;
  }

  /**
   * Returns the refitted weights {@code [outputs][features]} and, as the last column, the bias,
   * where output {@code o} may only use the features with {@code support[o][f]} set (the others
   * stay exactly zero): the refit of a 2:4-masked layer.
   */
  static double[][] solveMasked(Regression r, boolean[][] support) {
    int f = r.features();
    int f1 = f + 1;
    double[][] w = new double[r.outputs()][f1];
    for (int o = 0; o < r.outputs(); o++) {
      int k = 1;
      for (int i = 0; i < f; i++) {
        if (support[o][i]) {
          k++;
        }
      }
      int[] idx = new int[k];
      int j = 0;
      for (int i = 0; i < f; i++) {
        if (support[o][i]) {
          idx[j++] = i;
        }
      }
      idx[k - 1] = f;
      double[] a = subGram(r, idx);
      cholesky(a, k);
      double[] rhs = new double[k];
      for (int i = 0; i < k; i++) {
        rhs[i] = r.cross()[idx[i] * r.outputs() + o];
      }
      choleskySolve(a, k, rhs);
      for (int i = 0; i < k; i++) {
        w[o][idx[i]] = rhs[i];
      }
    }
    return w;
  }

  /** Returns the Gram matrix restricted to {@code idx} (the last index being the bias), with a small ridge. */
  private static double[] subGram(Regression r, int[] idx) {
    int k = idx.length;
    int f1 = r.features() + 1;
    double[] a = new double[k * k];
    double trace = 0;
    for (int i = 0; i < k; i++) {
      for (int j = 0; j < k; j++) {
        int p = Math.min(idx[i], idx[j]);
        int q = Math.max(idx[i], idx[j]);
        a[i * k + j] = r.gram()[p * f1 + q];
      }
      trace += a[i * k + i];
    }
    // a small ridge keeps dead (always-zero) channels from making the system singular
    double ridge = 1e-6 * trace / k + 1e-12;
    for (int i = 0; i < k - 1; i++) {
      a[i * k + i] += ridge;
    }
    return a;
  }

  private static void accumulate(
      String layer,
      Tensor x,
      Tensor y,
      Map<String, double[]> gram,
      Map<String, double[]> cross,
      Map<String, int[]> sizes) {
    long[] dx = x.dims();
    long[] dy = y.dims();
    int batch = (int) dx[0];
    int f = 1;
    for (int i = 1; i < dx.length; i++) {
      f *= (int) dx[i];
    }
    int positions = 1;
    if (dx.length == 4) {
      // a 1x1 convolution: every spatial position is one sample of [channels] -> [outputs]
      f = (int) dx[1];
      positions = (int) (dx[2] * dx[3]);
    }
    int o = (int) dy[1];
    int f1 = f + 1;
    double[] gm = gram.computeIfAbsent(layer, k -> new double[f1 * f1]);
    double[] cr = cross.computeIfAbsent(layer, k -> new double[f1 * o]);
    sizes.put(layer, new int[] {f, o});
    float[] xv = x.toFloats();
    float[] yv = y.toFloats();
    double[] row = new double[f1];
    double[] out = new double[o];
    for (int n = 0; n < batch; n++) {
      for (int p = 0; p < positions; p++) {
        for (int c = 0; c < f; c++) {
          row[c] = xv[(n * f + c) * positions + p];
        }
        row[f] = 1;
        for (int c = 0; c < o; c++) {
          out[c] = yv[(n * o + c) * positions + p];
        }
        for (int i = 0; i < f1; i++) {
          double ri = row[i];
          if (ri == 0) {
            continue;
          }
          int gi = i * f1;
          for (int j = i; j < f1; j++) {
            gm[gi + j] += ri * row[j];
          }
          int ci = i * o;
          for (int c = 0; c < o; c++) {
            cr[ci + c] += ri * out[c];
          }
        }
      }
    }
  }

  /**
   * Returns the refitted weights {@code [outputs][kept]} and, as the last column, the bias, for
   * the kept input features (ascending indices).
   */
  static double[][] solve(Regression r, int[] kept) {
    int k = kept.length + 1;
    int[] idx = new int[k];
    System.arraycopy(kept, 0, idx, 0, kept.length);
    idx[k - 1] = r.features();
    double[] a = subGram(r, idx);
    cholesky(a, k);
    double[][] w = new double[r.outputs()][k];
    double[] rhs = new double[k];
    for (int c = 0; c < r.outputs(); c++) {
      for (int i = 0; i < k; i++) {
        rhs[i] = r.cross()[idx[i] * r.outputs() + c];
      }
      choleskySolve(a, k, rhs);
      System.arraycopy(rhs, 0, w[c], 0, k);
    }
    return w;
  }

  /** Factors the symmetric positive definite {@code a} in place into its lower Cholesky factor. */
  private static void cholesky(double[] a, int n) {
    for (int j = 0; j < n; j++) {
      double d = a[j * n + j];
      for (int p = 0; p < j; p++) {
        d -= a[j * n + p] * a[j * n + p];
      }
      d = Math.sqrt(Math.max(d, 1e-18));
      a[j * n + j] = d;
      for (int i = j + 1; i < n; i++) {
        double s = a[i * n + j];
        for (int p = 0; p < j; p++) {
          s -= a[i * n + p] * a[j * n + p];
        }
        a[i * n + j] = s / d;
      }
    }
  }

  private static void choleskySolve(double[] l, int n, double[] b) {
    for (int i = 0; i < n; i++) {
      double s = b[i];
      for (int p = 0; p < i; p++) {
        s -= l[i * n + p] * b[p];
      }
      b[i] = s / l[i * n + i];
    }
    for (int i = n - 1; i >= 0; i--) {
      double s = b[i];
      for (int p = i + 1; p < n; p++) {
        s -= l[p * n + i] * b[p];
      }
      b[i] = s / l[i * n + i];
    }
  }
}
