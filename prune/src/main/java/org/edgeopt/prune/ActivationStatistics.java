package org.edgeopt.prune;

import java.util.ArrayList;
import java.util.Collection;
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
import org.edgeopt.core.graph.Tensor;
import org.edgeopt.core.graph.Value;
import org.edgeopt.core.onnx.OnnxChecker;
import org.edgeopt.core.runtime.InferenceSession;
import org.edgeopt.core.runtime.OrtRuntime;
import org.edgeopt.core.runtime.SessionOptions;

/** Measures per-channel statistics of intermediate tensors by running the model in ONNX Runtime. */
public final class ActivationStatistics {
  private ActivationStatistics() {}

  /**
   * Returns the statistics of {@code tensors} over the first {@code limit} samples of {@code data}.
   *
   * @throws EdgeoptException (exit 3) when the model does not run on the data
   */
  public static Map<String, ChannelStatistics> of(
      Graph g, Collection<String> tensors, Dataset data, int batchSize, int limit, String where)
      throws EdgeoptException {
    Graph typed = OnnxChecker.inferShapes(g.toBuilder().clearValueInfo().build(), where);
    GraphBuilder b = typed.toBuilder();
    Set<String> outputs = new HashSet<>();
    typed.outputs().forEach(v -> outputs.add(v.name()));
    List<String> wanted = new ArrayList<>();
    for (String t : new java.util.LinkedHashSet<>(tensors)) {
      if (typed.initializers().containsKey(t)) {
        continue;
      }
      wanted.add(t);
      if (outputs.add(t)) {
        b.addOutput(new Value(t, typed.type(t).orElse(null)));
      }
    }
    Map<String, double[]> sum = new LinkedHashMap<>();
    Map<String, double[]> sq = new LinkedHashMap<>();
    Map<String, Long> counts = new LinkedHashMap<>();
    try (InferenceSession s = OrtRuntime.get().open(b.build(), SessionOptions.defaults())) {
      String input = s.inputNames().get(0);
      Iterator<Batch> it = data.batches(BatchRunner.batchSize(s, batchSize), limit);
      while (it.hasNext()) {
        Batch batch = it.next();
        Map<String, Tensor> out = s.run(Map.of(input, batch.input().withName(input)), wanted);
        for (String t : wanted) {
          accumulate(out.get(t), sum, sq, counts, t);
        }
      }
    }
    Map<String, ChannelStatistics> result = new LinkedHashMap<>();
    for (String t : wanted) {
      double[] s1 = sum.get(t);
      if (s1 == null) {
        continue;
      }
      double[] s2 = sq.get(t);
      long n = counts.get(t);
      float[] mean = new float[s1.length];
      float[] var = new float[s1.length];
      for (int c = 0; c < s1.length; c++) {
        double m = s1[c] / n;
        mean[c] = (float) m;
        var[c] = (float) Math.max(0, s2[c] / n - m * m);
      }
      result.put(t, new ChannelStatistics(mean, var, n));
    }
    return result;
  }

  private static void accumulate(
      Tensor t,
      Map<String, double[]> sum,
      Map<String, double[]> sq,
      Map<String, Long> counts,
      String name) {
    long[] d = t.dims();
    if (d.length < 2) {
      return;
    }
    int channels = (int) d[1];
    int inner = 1;
    for (int i = 2; i < d.length; i++) {
      inner *= (int) d[i];
    }
    int batch = (int) d[0];
    float[] v = t.toFloats();
    double[] s1 = sum.get(name);
    if (s1 == null) {
      s1 = new double[channels];
      sum.put(name, s1);
      sq.put(name, new double[channels]);
      counts.put(name, 0L);
    }
    double[] s2 = sq.get(name);
    for (int n = 0; n < batch; n++) {
      for (int c = 0; c < channels; c++) {
        int base = (n * channels + c) * inner;
        double a = 0;
        double b = 0;
        for (int i = 0; i < inner; i++) {
          double x = v[base + i];
          a += x;
          b += x * x;
        }
        s1[c] += a;
        s2[c] += b;
      }
    }
    counts.put(name, counts.get(name) + (long) batch * inner);
  }
}
